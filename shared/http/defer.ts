import type { Context } from "hono";

/**
 * Hands work that may run after the response to the platform (`waitUntil`). Where the platform
 * gives no execution context (a test's `app.request`), the promise just runs on, and a failure
 * is swallowed here because the work must already log its own failures.
 */
export function deferFor(c: Context): (pending: Promise<unknown>) => void {
  let waitUntil: ((pending: Promise<unknown>) => void) | undefined;
  try {
    const ctx = c.executionCtx;
    waitUntil = (pending) => ctx.waitUntil(pending);
  } catch {
    waitUntil = undefined;
  }
  return (pending) => {
    const settled = pending.catch(() => {});
    waitUntil?.(settled);
  };
}
