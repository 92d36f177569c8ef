import { readFileSync, renameSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The `compatibility_date` of wrangler.toml, so local runs match deployments. */
function compatibilityDate(): string {
  const toml = readFileSync(`${ROOT}/wrangler.toml`, "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return date;
}

export interface LocalWorker {
  url: string;
  dispose(): Promise<void>;
}

export interface LocalWorkerOptions {
  /** Entry module, relative to the repository root. */
  entry: string;
  bindings: Record<string, string>;
  port: number;
  host?: string;
  /** Where workerd's inspector listens (DevTools protocol), for a tool that looks inside; none unless told. */
  inspectorPort?: number;
}

/**
 * Bundles `entry` the way wrangler does (ESM, workerd conditions) and serves it from workerd
 * through Miniflare's API: no wrangler dev proxy in front, so local numbers are workerd's own.
 */
export async function startLocalWorker(options: LocalWorkerOptions): Promise<LocalWorker> {
  const outfile = `${ROOT}/.breakwater/build/${options.entry.replace(/[/.]/g, "_")}.js`;
  // Built aside, then renamed into place (atomic): an `npm start` starting beside another never
  // reads a half-written bundle.
  const building = `${outfile}.${process.pid}-${options.port}`;
  await build({
    entryPoints: [`${ROOT}/${options.entry}`],
    outfile: building,
    bundle: true,
    format: "esm",
    target: "es2023",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    logLevel: "error",
  });
  renameSync(building, outfile);
  const host = options.host ?? "127.0.0.1";
  // Miniflare 5 takes a new options shape; the v4 one still says what we need most plainly.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath: outfile,
      compatibilityDate: compatibilityDate(),
      bindings: options.bindings,
      host,
      port: options.port,
      inspectorPort: options.inspectorPort,
    }),
  );
  const url = (await mf.ready).toString().replace(/\/$/, "");
  return { url, dispose: () => mf.dispose() };
}
