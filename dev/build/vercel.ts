import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import type { FunctionSpec } from "../../functions/registry.ts";
import { CONDITIONS, bundleEdge } from "./bundle.ts";
import { type Artifact, ROOT, inParallel } from "./layout.ts";

const escape = (path: string) => path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Vercel's Build Output API v3 in `outDir`: one Edge Function per function
 * (`functions/<name>.func`), a route from each of its path prefixes to it, and the crons.
 * An Edge Function behind a route still sees the original URL, so each keeps its own paths.
 */
export async function buildVercel(
  fns: readonly FunctionSpec[],
  outDir: string,
): Promise<Artifact[]> {
  rmSync(outDir, { recursive: true, force: true });
  const artifacts = await inParallel(fns, 2, async (fn) => {
    const dir = `${outDir}/functions/${fn.name}.func`;
    await bundleEdge({
      entry: `${ROOT}functions/${fn.name}/vercel.ts`,
      outfile: `${dir}/index.js`,
      conditions: CONDITIONS.vercel,
    });
    // envVarsInUse: Vercel gives an Edge Function's process.env only the variables listed here.
    const vcConfig = {
      runtime: "edge",
      entrypoint: "index.js",
      envVarsInUse: [...fn.required, ...fn.optional],
    };
    writeFileSync(`${dir}/.vc-config.json`, `${JSON.stringify(vcConfig, null, 2)}\n`);
    return { platform: "vercel" as const, name: fn.name, file: `${dir}/index.js` };
  });
  const config = {
    version: 3,
    routes: fns.flatMap((fn) =>
      fn.paths.map((path) => ({ src: `^${escape(path)}(?:/.*)?$`, dest: `/${fn.name}` })),
    ),
    // Vercel Cron calls GET <path> with `Authorization: Bearer $CRON_SECRET` (production only).
    crons: fns.flatMap((fn) =>
      fn.cron ? [{ path: fn.cron.path, schedule: fn.cron.schedule }] : [],
    ),
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(`${outDir}/config.json`, `${JSON.stringify(config, null, 2)}\n`);
  return artifacts;
}
