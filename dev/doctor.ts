// `npm run doctor`: the check `npm start` runs, with no server started, and for each deploy target
// whether the current variables are complete. Always exits 0: it reports, it does not judge.
import { fileURLToPath } from "node:url";
import { FUNCTIONS, type FunctionSpec } from "../functions/registry.ts";
import { type FunctionCheck, checkFunction, documentedVariables } from "./local/check.ts";
import { loadLocalVars } from "./local/env-files.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

interface Target {
  name: string;
  /** Variables the platform sets itself (placeholders: only their presence matters here). */
  supplies: Record<string, string>;
  /** Variables a function with a cron needs there: the cron calls its HTTP route with CRON_SECRET. */
  cronNeeds: string[];
}

const TARGETS: Target[] = [
  // Workers' cron calls scheduled(): no secret involved.
  { name: "cloudflare", supplies: {}, cronNeeds: [] },
  { name: "vercel", supplies: {}, cronNeeds: ["CRON_SECRET"] },
  {
    name: "supabase",
    supplies: {
      SUPABASE_URL: "https://project-ref.supabase.co",
      SUPABASE_SERVICE_ROLE_KEY: "supplied-by-supabase",
    },
    cronNeeds: ["CRON_SECRET"],
  },
];

/** `npm start` runs a local PostgreSQL when SUPABASE_URL is unset (placeholders, as above). */
const LOCAL: Target = {
  name: "npm start",
  supplies: { SUPABASE_URL: "http://127.0.0.1:1", SUPABASE_SERVICE_ROLE_KEY: "local" },
  cronNeeds: [],
};

async function verdict(fn: FunctionSpec, vars: Record<string, string>, target: Target) {
  const supplied = target === LOCAL && vars.SUPABASE_URL ? {} : target.supplies;
  const check = await checkFunction(fn, { ...supplied, ...vars });
  const cron = fn.cron ? target.cronNeeds.filter((name) => !vars[name]) : [];
  return { ...check, missing: [...check.missing, ...cron] };
}

function cell(check: FunctionCheck): string {
  const invalid = check.problems
    .filter((p) => !check.missing.some((name) => p === `${name} is missing`))
    .map((p) => p.split(" ")[0]);
  if (check.missing.length === 0 && invalid.length === 0) return "ready";
  return [
    ...(check.missing.length ? [`lacks ${check.missing.join(", ")}`] : []),
    ...(invalid.length ? [`invalid ${invalid.join(", ")}`] : []),
  ].join("; ");
}

const vars = loadLocalVars(ROOT, process.env);
const targets = [LOCAL, ...TARGETS];
const rows: string[][] = [];
const lacking = new Set<string>();
for (const fn of FUNCTIONS) {
  const checks = await Promise.all(targets.map((target) => verdict(fn, vars, target)));
  for (const check of checks) for (const name of check.missing) lacking.add(name);
  rows.push([fn.name, ...checks.map(cell)]);
}

const table = [["function", ...targets.map((t) => t.name)], ...rows];
const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
const line = (row: string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
console.log("Configuration from the process environment, .dev.vars and .env:\n");
console.log(line(table[0]!));
console.log(line(widths.map((w) => "-".repeat(w))));
for (const row of rows) console.log(line(row));
if (lacking.size > 0) {
  const docs = documentedVariables(ROOT);
  console.log("\nWhat the missing variables are for (docs/configuration.md):");
  for (const name of lacking)
    console.log(`  ${name}: ${docs.get(name)?.purpose ?? "undocumented"}`);
}
