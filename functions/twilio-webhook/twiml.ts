const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

/** The TwiML answer to an inbound message: `<Response/>`, or one reply message. */
export function twiml(reply: string | null): string {
  const head = '<?xml version="1.0" encoding="UTF-8"?>';
  if (reply === null) return `${head}<Response/>`;
  const text = reply.replace(/[&<>"']/g, (char) => ESCAPES[char]!);
  return `${head}<Response><Message>${text}</Message></Response>`;
}
