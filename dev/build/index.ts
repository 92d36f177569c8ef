// `npm run build [-- cloudflare|vercel|supabase …]`: every platform's artifacts (or the named
// ones) from functions/registry.ts, then a size report per function per platform.
// BREAKWATER_FUNCTIONS=stripe-webhook,… builds only those functions (a Vercel project that
// serves some of them sets it in its environment).
import { mkdirSync, writeFileSync } from "node:fs";
import { FUNCTIONS } from "../../functions/registry.ts";
import { buildCloudflare } from "./cloudflare.ts";
import { type Artifact, OUT, PLATFORMS, type Platform } from "./layout.ts";
import { GZIP_BUDGET_BYTES, budgetOf, measure, sizeTable } from "./size.ts";
import { buildSupabase } from "./supabase.ts";
import { buildVercel } from "./vercel.ts";

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !PLATFORMS.includes(name as Platform));
if (unknown.length > 0)
  fail(`Unknown platform ${unknown.join(", ")}: expected ${PLATFORMS.join(", ")}`);
const platforms = asked.length > 0 ? (asked as Platform[]) : PLATFORMS;

const only = process.env.BREAKWATER_FUNCTIONS?.split(",")
  .map((name) => name.trim())
  .filter(Boolean);
const unknownFns = (only ?? []).filter((name) => !FUNCTIONS.some((fn) => fn.name === name));
if (unknownFns.length > 0) fail(`BREAKWATER_FUNCTIONS names no function ${unknownFns.join(", ")}`);
const fns = only ? FUNCTIONS.filter((fn) => only.includes(fn.name)) : FUNCTIONS;

const builders: Record<Platform, () => Promise<Artifact[]>> = {
  cloudflare: () => buildCloudflare(fns),
  vercel: () => buildVercel(fns, OUT.vercel),
  supabase: () => buildSupabase(fns, OUT.supabase),
};

const started = Date.now();
// One platform at a time: wrangler and esbuild each already use both cores.
const artifacts: Artifact[] = [];
for (const platform of platforms) artifacts.push(...(await builders[platform]()));
const sizes = artifacts.map(measure);
const table = sizeTable(sizes);

mkdirSync(OUT.report, { recursive: true });
writeFileSync(`${OUT.report}/sizes.json`, `${JSON.stringify(sizes, null, 2)}\n`);
writeFileSync(`${OUT.report}/sizes.md`, `${table}\n`);
console.log(table);
console.log(
  `\nBuilt ${platforms.join(", ")} in ${Date.now() - started} ms. Budget: each function ≤ ${GZIP_BUDGET_BYTES / 1024} KiB gzip on Cloudflare (ai-proxy ≤ ${budgetOf("ai-proxy") / 1024}).`,
);
