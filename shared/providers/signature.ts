import type { ToolCall } from "./types.ts";

// A Gemini thought signature rides in the tool call id the Responses and Messages APIs hand to
// their clients, since those clients send ids back verbatim and drop fields they do not know. The
// id stays within Anthropic's id alphabet ([A-Za-z0-9_-]) so that any target accepts it.
const MARK = "__ts_";

const toBase64Url = (base64: string) =>
  base64.replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
const fromBase64Url = (text: string) => {
  const base64 = text.replaceAll("-", "+").replaceAll("_", "/");
  return base64 + "=".repeat((4 - (base64.length % 4)) % 4);
};

/** A call's id for a client: with its thought signature, if it has one, folded in. */
export function idWithSignature(call: Pick<ToolCall, "id" | "extra_content">): string {
  const signature = call.extra_content?.google?.thought_signature;
  return signature ? `${call.id}${MARK}${toBase64Url(signature)}` : call.id;
}

/** A client's call id back as the call's own id and its thought signature, if it carried one. */
export function signatureFromId(id: string): Pick<ToolCall, "id" | "extra_content"> {
  const at = id.indexOf(MARK);
  if (at < 0) return { id };
  const signature = fromBase64Url(id.slice(at + MARK.length));
  return { id: id.slice(0, at), extra_content: { google: { thought_signature: signature } } };
}
