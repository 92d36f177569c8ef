import { type FetchApp, executionContext } from "./entry.ts";

// This file is checked by `deno check` against Deno's own types, which lack Supabase's global.
declare const EdgeRuntime: { waitUntil(pending: Promise<unknown>): void } | undefined;

/**
 * Serves `app` as the Supabase Edge Function `name`. Supabase routes
 * `/functions/v1/<name>/<path>` to it as `/<name>/<path>`: the prefix is cut so the function
 * keeps the paths of the HTTP contract. Bindings are the function's secrets, read once per
 * isolate like a Worker's env (dependencies are built once per env object); deferred work goes
 * to `EdgeRuntime.waitUntil` (absent under plain Deno, where it simply runs on).
 */
export function serveOnSupabase(name: string, app: FetchApp): void {
  const prefix = `/${name}`;
  const env = Deno.env.toObject();
  const ctx =
    typeof EdgeRuntime === "undefined"
      ? undefined
      : executionContext((pending) => EdgeRuntime!.waitUntil(pending));
  Deno.serve((request) => app.fetch(withoutPrefix(request, prefix), env, ctx));
}

function withoutPrefix(request: Request, prefix: string): Request {
  const url = new URL(request.url);
  if (url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) return request;
  url.pathname = url.pathname.slice(prefix.length) || "/";
  return new Request(url, request);
}
