/** A reply as Upstash writes it in JSON. */
export type JsonReply = string | number | null | JsonReply[];

const OK = Buffer.from("OK");

function encode(reply: unknown, base64: boolean): JsonReply {
  if (Buffer.isBuffer(reply)) return reply.toString(base64 ? "base64" : "utf8");
  if (typeof reply === "number" || reply === null) return reply;
  if (Array.isArray(reply)) return reply.map((item: unknown) => encode(item, base64));
  // An error nested in an array (a Lua table holding {err = ...}) has no JSON form of its own.
  if (reply instanceof Error) return encode(Buffer.from(reply.message), base64);
  throw new Error(`unexpected reply from ioredis: ${typeof reply}`);
}

/**
 * Redis's reply (ioredis Buffer replies) as Upstash's JSON `result`. Strings are UTF-8 text, or
 * with `Upstash-Encoding: base64` the base64 of their exact bytes, nested ones included;
 * integers and nulls stay as they are. Upstash leaves a top-level "OK" unencoded, and
 * @upstash/redis relies on that: it decodes every other string, but inside an array it decodes
 * "OK" too, so a nested "OK" must be encoded.
 */
export function toResult(reply: unknown, base64: boolean): JsonReply {
  return base64 && Buffer.isBuffer(reply) && reply.equals(OK) ? "OK" : encode(reply, base64);
}
