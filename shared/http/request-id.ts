export const REQUEST_ID_HEADER = "x-request-id";

// A caller's id is echoed only if it is short and plain, so it can't inject into logs or headers.
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's `x-request-id` when sane, else a fresh UUID: the generator of Hono's requestId
 * middleware, which calls it for ids its own stricter check refuses (ours also allows `.:`).
 */
export function requestIdFor(header: string | undefined): string {
  return header && SANE_ID.test(header) ? header : crypto.randomUUID();
}
