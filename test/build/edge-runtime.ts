import { readFileSync } from "node:fs";
import { transform } from "esbuild";
import { EdgeRuntime, runServer } from "edge-runtime";

export type EdgeRuntimeServer = Awaited<ReturnType<typeof runServer>>;

/** A Build Output v3 Edge Function's `.vc-config.json`. */
export interface EdgeFunctionConfig {
  runtime: string;
  entrypoint: string;
  envVarsInUse?: string[];
}

export function readEdgeConfig(funcDir: string): EdgeFunctionConfig {
  return JSON.parse(readFileSync(`${funcDir}/.vc-config.json`, "utf8")) as EdgeFunctionConfig;
}

/**
 * Serves one Edge Function of a Build Output (`<name>.func`) inside Vercel's Edge Runtime, the
 * way `vercel dev` does: its entrypoint evaluated as a script in the runtime's VM (no Node
 * globals, no eval), the default export called with the request and the fetch event (whose
 * `waitUntil` is the request context's), and `process.env` holding only the variables the
 * function declares in `envVarsInUse`, as Vercel provides them.
 */
export async function serveEdgeFunction(
  funcDir: string,
  env: Record<string, string>,
): Promise<EdgeRuntimeServer> {
  const config = readEdgeConfig(funcDir);
  const { code } = await transform(readFileSync(`${funcDir}/${config.entrypoint}`, "utf8"), {
    format: "cjs",
  });
  const declared = Object.fromEntries(
    (config.envVarsInUse ?? []).flatMap((name) => (name in env ? [[name, env[name]]] : [])),
  );
  const runtime = new EdgeRuntime({
    initialCode: `${code}
addEventListener("fetch", (event) =>
  event.respondWith(module.exports.default(event.request, event)),
);`,
    extend: (context) => Object.assign(context, { module: {}, process: { env: declared } }),
  });
  return runServer({ runtime, host: "127.0.0.1", port: 0 });
}

/** The function a Build Output's `config.json` routes `path` to, as Vercel matches routes. */
export function routeOf(routes: readonly { src: string; dest: string }[], path: string): string {
  const route = routes.find((r) => new RegExp(r.src).test(path));
  if (!route) throw new Error(`No route in config.json matches ${path}`);
  return route.dest.replace(/^\//, "");
}
