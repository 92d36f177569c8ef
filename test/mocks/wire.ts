// Pieces of wire format more than one vendor mock speaks: SSE events (written, and read back by
// tests), Basic credentials, and ids in a vendor's style.
import { parseSse } from "../../shared/providers/sse.ts";
import type { SseEvent } from "../../shared/providers/types.ts";

/** `event:` and `data:` lines of one SSE event, with its blank line; Google ends lines with CRLF. */
export function sseEvent(data: unknown, event?: string, eol: "\n" | "\r\n" = "\n"): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}${eol}` : ""}data: ${text}${eol}${eol}`;
}

/**
 * Reads an SSE body to its end, or to where it broke off: the events, and whether the body failed
 * (a cut connection), which is what a stream translator's `finish` then has to make of it.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
): Promise<{ events: SseEvent[]; failed: boolean }> {
  const events: SseEvent[] = [];
  try {
    for await (const event of body.pipeThrough(parseSse())) events.push(event);
    return { events, failed: false };
  } catch {
    return { events, failed: true };
  }
}

/** The user and password of a Basic `Authorization` header. */
export function basicAuth(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A random id in a vendor's style: `prefix` and `length` characters of [0-9a-f] or base62. */
export function vendorId(prefix: string, length: number, alphabet = "0123456789abcdef"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return prefix + [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}
