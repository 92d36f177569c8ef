import { execFile } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { promisify } from "node:util";
import type { FunctionSpec } from "../../functions/registry.ts";
import { wranglerToml } from "./config.ts";
import { type Artifact, OUT, ROOT, inParallel } from "./layout.ts";

const run = promisify(execFile);

/** The all-in-one worker's name in wrangler.toml and in the size report. */
export const ALL_IN_ONE = "breakwater";

/**
 * `wrangler deploy --dry-run` of the all-in-one worker and of every function's env, each into
 * `OUT.cloudflare/<name>/`: wrangler's own bundle, exactly what `wrangler deploy` would upload.
 */
export async function buildCloudflare(fns: readonly FunctionSpec[]): Promise<Artifact[]> {
  if (readFileSync(`${ROOT}wrangler.toml`, "utf8") !== wranglerToml()) {
    throw new Error("wrangler.toml differs from functions/registry.ts: run `npm run config`");
  }
  const workers = [
    { name: ALL_IN_ONE, env: [] },
    ...fns.map((fn) => ({ name: fn.name, env: ["--env", fn.name] })),
  ];
  return inParallel(workers, 2, async ({ name, env }) => {
    const outdir = `${OUT.cloudflare}/${name}`;
    rmSync(outdir, { recursive: true, force: true });
    try {
      await run(
        `${ROOT}node_modules/.bin/wrangler`,
        ["deploy", "--dry-run", "--outdir", outdir, ...env],
        // No usage metrics from builds.
        { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
      );
    } catch (error) {
      const { stdout = "", stderr = "" } = error as { stdout?: string; stderr?: string };
      throw new Error(`wrangler deploy --dry-run ${env.join(" ")} failed:\n${stdout}${stderr}`);
    }
    return { platform: "cloudflare" as const, name, file: `${outdir}/${entryFile(name)}` };
  });
}

/** wrangler names its output after the entry module. */
function entryFile(name: string): string {
  return name === ALL_IN_ONE ? "worker.js" : "cloudflare.js";
}
