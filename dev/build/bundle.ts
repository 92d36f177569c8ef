import { build } from "esbuild";

/**
 * Package export conditions each runtime's own bundler resolves: Vercel's Edge runtime
 * `edge-light`, Deno `deno`; both are workers with browser-like globals.
 */
export const CONDITIONS = {
  vercel: ["edge-light", "worker", "browser"],
  supabase: ["deno", "worker", "browser"],
} as const;

/**
 * Bundles an edge entry into one minified ES module, dependencies included. `platform: neutral`
 * knows no Node built-ins, so a `node:*` import anywhere in the graph fails the build.
 */
export async function bundleEdge(options: {
  entry: string;
  outfile: string;
  conditions: readonly string[];
}): Promise<void> {
  await build({
    entryPoints: [options.entry],
    outfile: options.outfile,
    bundle: true,
    format: "esm",
    target: "es2023",
    platform: "neutral",
    conditions: [...options.conditions],
    mainFields: ["module", "main"],
    minify: true,
    logLevel: "error",
  });
}
