import type { MiddlewareHandler } from "hono";

export const REQUEST_ID_HEADER = "x-request-id";

// A caller's id is echoed only if it is short and plain, so it can't inject into logs or headers.
const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when sane, else a fresh UUID. */
export function requestIdFor(header: string | undefined): string {
  return header && SANE_ID.test(header) ? header : crypto.randomUUID();
}

/** Sets `requestId` for the handlers and echoes it on every response, errors included. */
export function requestId(): MiddlewareHandler<{ Variables: { requestId: string } }> {
  return async function requestIdMiddleware(c, next) {
    const id = requestIdFor(c.req.header(REQUEST_ID_HEADER));
    c.set("requestId", id);
    await next();
    c.res.headers.set(REQUEST_ID_HEADER, id);
  };
}
