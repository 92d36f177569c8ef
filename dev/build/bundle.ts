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
 * Packages whose ES module build their package.json does not declare (no `module`, no `exports`),
 * so that bundlers take their CommonJS `main`, which cannot be tree-shaken: each is pointed at its
 * own ESM build of the same version. Every bundler of edge code uses this (wrangler through
 * wrangler.toml's `[alias]`); @upstash/ratelimit (messaging's and the proxy's rate limits) and
 * the analytics it imports are ~1.2 KiB gzip smaller so.
 */
export const ESM_BUILDS: Readonly<Record<string, string>> = {
  "@upstash/ratelimit": "@upstash/ratelimit/dist/index.mjs",
  "@upstash/core-analytics": "@upstash/core-analytics/dist/index.mjs",
};

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
    alias: { ...ESM_BUILDS },
    minify: true,
    logLevel: "error",
  });
}
