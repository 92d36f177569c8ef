// `npm run build` as CI runs it: every platform's artifacts, wrangler's dry run of every worker,
// the size budget, and no Node built-in in any edge bundle.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { relative } from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import { unstable_readConfig } from "wrangler";
import { beforeAll, describe, expect, test } from "vitest";
import { ALL_IN_ONE } from "../../dev/build/cloudflare.ts";
import { configFiles } from "../../dev/build/config.ts";
import { OUT, PLATFORMS } from "../../dev/build/layout.ts";
import {
  GZIP_BUDGET_BYTES,
  type Size,
  budgetOf,
  overBudget,
  sizeTable,
} from "../../dev/build/size.ts";
import { FUNCTIONS } from "../../functions/registry.ts";

let sizes: Size[];

beforeAll(async () => {
  const { BREAKWATER_FUNCTIONS: _every, ...env } = process.env;
  await promisify(execFile)("npm", ["run", "build"], { env, maxBuffer: 10_000_000 });
  sizes = JSON.parse(readFileSync(`${OUT.report}/sizes.json`, "utf8")) as Size[];
}, 120_000);

test("wrangler.toml and supabase/config.toml say what functions/registry.ts says", () => {
  for (const { path, expected } of configFiles()) {
    expect(readFileSync(path, "utf8"), `${path} is stale: run npm run config`).toBe(expected);
  }
});

test("every function is built for every platform, and the all-in-one worker for Cloudflare", () => {
  const built = sizes.map((size) => `${size.platform} ${size.name}`).sort();
  const expected = [
    `cloudflare ${ALL_IN_ONE}`,
    ...FUNCTIONS.flatMap((fn) => PLATFORMS.map((platform) => `${platform} ${fn.name}`)),
  ].sort();
  expect(built).toEqual(expected);
  for (const size of sizes) expect(existsSync(size.file), size.file).toBe(true);
});

test(`each function is at most ${GZIP_BUDGET_BYTES / 1024} KiB gzip on Cloudflare (the AI proxy ${budgetOf("ai-proxy") / 1024})`, () => {
  expect(
    sizes.filter(overBudget).map((size) => size.name),
    sizeTable(sizes),
  ).toEqual([]);
});

test("no edge bundle imports a Node built-in (no platform needs nodejs_compat)", () => {
  const nodeImport = /\b(?:from|import|require)\s*\(?\s*["'](?:node:[\w/]+)["']/g;
  const found = sizes.flatMap((size) =>
    [...readFileSync(size.file, "utf8").matchAll(nodeImport)].map((m) => `${size.file}: ${m[0]}`),
  );
  expect(found).toEqual([]);
});

describe("wrangler.toml", () => {
  const resolved = (env?: string) => unstable_readConfig({ config: "wrangler.toml", env });

  test("the default worker runs every function, with health's cron and no compatibility flag", () => {
    const config = resolved();
    expect(config.main).toMatch(/functions\/worker\.ts$/);
    expect(config.triggers.crons).toEqual([
      ...new Set(FUNCTIONS.flatMap((fn) => fn.cron?.schedule ?? [])),
    ]);
    expect(config.compatibility_flags).toEqual([]);
  });

  test.each(FUNCTIONS)("[env.$name] runs it alone, with only its own secrets and cron", (fn) => {
    const config = resolved(fn.name);
    expect(config.name).toBe(`breakwater-${fn.name}`);
    expect(config.main).toMatch(new RegExp(`functions/${fn.name}/cloudflare\\.ts$`));
    expect(config.secrets?.required).toEqual(fn.required);
    expect(config.triggers.crons).toEqual(fn.cron ? [fn.cron.schedule] : []);
  });
});

test("vercel.json has Vercel build this Build Output; the crons are in its config.json", () => {
  const vercel = JSON.parse(readFileSync("vercel.json", "utf8"));
  expect(vercel).toMatchObject({ framework: null, buildCommand: "npm run build -- vercel" });
  // vercel build would add vercel.json's crons to config.json's: declared once, in the output.
  expect(vercel.crons).toBeUndefined();
  const output = JSON.parse(readFileSync(`${OUT.vercel}/config.json`, "utf8"));
  expect(output.version).toBe(3);
  expect(output.crons).toEqual(
    FUNCTIONS.flatMap((fn) =>
      fn.cron ? [{ path: fn.cron.path, schedule: fn.cron.schedule }] : [],
    ),
  );
});

test.each(FUNCTIONS)(
  "supabase/functions/$name/index.ts needs nothing outside its folder",
  async (fn) => {
    const dir = `${OUT.supabase}/${fn.name}`;
    // Whatever Supabase's bundler follows from the entry: esbuild follows the same imports.
    const { metafile } = await build({
      entryPoints: [`${dir}/index.ts`],
      bundle: true,
      write: false,
      metafile: true,
      platform: "neutral",
      logLevel: "silent",
    });
    expect(Object.keys(metafile.inputs).sort()).toEqual(
      [`${dir}/bundle.js`, `${dir}/index.ts`].map((file) => relative(process.cwd(), file)).sort(),
    );
    expect(readFileSync(`${dir}/bundle.js`, "utf8")).toContain("Deno.serve(");
  },
);
