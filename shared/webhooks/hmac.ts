// WebCrypto only: this runs unchanged on Workers, Vercel Edge, Deno and Node (no node:crypto).
const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** `a` then `b` in one new buffer (so a prefix is never decoded and re-encoded with the bytes). */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** Lower-case hex, as Stripe's `v1` and Twilio's `bodySHA256` are written. */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Standard base64 with padding, as `X-Twilio-Signature` is written. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Bytes as WebCrypto's `BufferSource`. Deno's (and the DOM's) typings accept only views of a
 * plain ArrayBuffer, which ours always are (never a SharedArrayBuffer); Workers' typings accept
 * any view. Types only: nothing is copied.
 */
const source = (data: Uint8Array) => data as Uint8Array<ArrayBuffer>;

/**
 * Standard base64 (padding optional) as bytes, or undefined when `text` is not base64. `atob`
 * alone would also take whitespace and the URL-safe alphabet in some runtimes: refused here.
 */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.replace(/=+$/, "").length % 4 === 1) {
    return undefined;
  }
  return Uint8Array.from(atob(text.padEnd(Math.ceil(text.length / 4) * 4, "=")), (c) =>
    c.charCodeAt(0),
  );
}

async function hmac(hash: "SHA-1" | "SHA-256", key: string | Uint8Array, data: Uint8Array) {
  // A string key is the secret's UTF-8 bytes as written (Stripe's `whsec_…` kept, nothing
  // base64-decoded); Standard Webhooks' decoded key comes as bytes.
  const raw = source(typeof key === "string" ? utf8(key) : key);
  const cryptoKey = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, source(data)));
}

/** HMAC-SHA256 of `data` keyed by raw key bytes, in base64 (Standard Webhooks' `v1`). */
export async function hmacSha256Base64(key: Uint8Array, data: Uint8Array): Promise<string> {
  return toBase64(await hmac("SHA-256", key, data));
}

/** HMAC-SHA256 of `data` keyed by the UTF-8 bytes of `key`, in lower-case hex. */
export async function hmacSha256Hex(key: string, data: Uint8Array): Promise<string> {
  return toHex(await hmac("SHA-256", key, data));
}

/** HMAC-SHA1 of the UTF-8 bytes of `text` keyed by the UTF-8 bytes of `key`, in base64. */
export async function hmacSha1Base64(key: string, text: string): Promise<string> {
  return toBase64(await hmac("SHA-1", key, utf8(text)));
}

/** SHA-256 of raw bytes, in lower-case hex. */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", source(data))));
}

/**
 * Throws when the configured signing keys cannot be right: none at all, an empty one, or one with
 * surrounding whitespace (a pasted newline would otherwise fail every delivery silently). The
 * message names `what`, never the key.
 */
export function assertSigningKeys(keys: readonly string[], what: string): void {
  if (keys.length === 0) throw new TypeError(`No ${what} configured`);
  for (const key of keys) {
    if (key === "" || key.trim() !== key) {
      throw new TypeError(`A ${what} is empty or has surrounding whitespace`);
    }
  }
}
