import { AppError } from "./errors.ts";

function tooLarge(maxBytes: number): AppError {
  return new AppError({
    status: 413,
    code: "payload_too_large",
    category: "validation",
    message: `Request body exceeds ${maxBytes} bytes`,
    details: { maxBytes },
  });
}

/**
 * Reads the raw body, refusing with 413 as soon as it exceeds `maxBytes`: a declared
 * Content-Length over the limit is refused before reading, and a streamed body is cut off at the
 * limit, so an oversize upload is never buffered whole.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return new Uint8Array();
  // HTTP framing holds a body to its declared length: read it in one native call.
  if (declared >= 0) {
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > maxBytes) throw tooLarge(maxBytes);
    return body;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The media type of the request (`application/json` of `application/json; charset=utf-8`). */
export function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** Refuses with 415 unless the request's media type is one of `accepted`. */
export function requireContentType(request: Request, accepted: readonly string[]): void {
  const type = mediaType(request);
  if (!accepted.includes(type)) {
    throw new AppError({
      status: 415,
      code: "unsupported_media_type",
      category: "validation",
      message: `Content-Type must be ${accepted.join(" or ")}`,
      details: { accepted: [...accepted], received: type || null },
    });
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Nesting no request of ours comes near (Stripe events, OpenAI requests with tool schemas), and
 * past which serialising or storing a value can exhaust a stack (JSON.stringify, PostgreSQL's
 * jsonb): refused as bad input rather than failing later as a server error.
 */
export const MAX_JSON_DEPTH = 64;

function depthExceeds(value: unknown, limit: number): boolean {
  // Iterative: a recursive walk would itself overflow on the inputs it guards against.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== "object" || item === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

const invalidJson = (message: string) =>
  new AppError({ status: 400, code: "invalid_json", category: "validation", message });

/** Parses bytes as UTF-8 JSON, refusing malformed or absurdly nested input with 400 `invalid_json`. */
export function parseJson(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    throw invalidJson("Request body is not valid JSON");
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw invalidJson(`Request body is nested more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return value;
}

/** `requireContentType(application/json)`, `readBody` and `parseJson` in one. */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  requireContentType(request, ["application/json"]);
  return parseJson(await readBody(request, maxBytes));
}
