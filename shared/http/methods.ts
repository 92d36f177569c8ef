import type { Hono } from "hono";

const cache = new WeakMap<Hono<any>, { method: string; pattern: RegExp }[]>();

// Hono path syntax to a regex: `:name` is one segment, `*` anything.
function compile(path: string): RegExp {
  const source = path
    .split("/")
    .map((segment) =>
      segment === "*"
        ? ".*"
        : segment.startsWith(":")
          ? "[^/]+"
          : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  // Exact, like Hono's strict routing: `/health/` is not `/health`, so it is a 404, not a 405.
  return new RegExp(`^${source}$`);
}

/** Methods that have a handler for `path` (empty when nothing serves it), for 405 and `Allow`. */
export function methodsAllowed(app: Hono<any>, path: string): string[] {
  let routes = cache.get(app);
  if (!routes) {
    routes = app.routes
      .filter((r) => r.method !== "ALL")
      .map((r) => ({ method: r.method, pattern: compile(r.path) }));
    cache.set(app, routes);
  }
  const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
  if (methods.has("GET")) methods.add("HEAD");
  return [...methods].sort();
}
