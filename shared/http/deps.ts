import type { MiddlewareHandler } from "hono";

// Where a platform passes no bindings (Node's server, `app.request` in tests), every request
// gets this same object, so a function's per-env memo still builds its dependencies once.
const NO_BINDINGS = {};

/**
 * Sets `c.get("deps")` for a function's paths: its dependencies from the request's env bindings,
 * which `build` (a `perEnv` memo) turns into clients once per isolate.
 */
export function withDeps<D>(
  build: (env: object) => D,
): MiddlewareHandler<{ Variables: { deps: D } }> {
  return async function deps(c, next) {
    c.set("deps", build(c.env ?? NO_BINDINGS));
    await next();
  };
}
