import type { ExecutionContext } from "hono";

/** What a platform entry calls on a function's root app (a Hono app's `fetch`). */
export interface FetchApp {
  fetch(request: Request, env: object, ctx?: ExecutionContext): Response | Promise<Response>;
}

/** Hono's execution context around a platform's `waitUntil`, so `deferFor()` hands work to it. */
export function executionContext(waitUntil: (pending: Promise<unknown>) => void): ExecutionContext {
  return {
    waitUntil,
    // Workers-only: there is no origin to fall through to on Vercel or Supabase.
    passThroughOnException() {},
    props: {},
  };
}
