// `npm start`: every function on http://127.0.0.1:8787 (PORT overrides), inside workerd, with
// embedded defaults for whatever is not configured. Dev tooling only: never deployed.
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { FUNCTIONS } from "../functions/registry.ts";
import { checkFunctions, describeCheck, documentedVariables } from "./local/check.ts";
import { loadLocalVars } from "./local/env-files.ts";
import { type LocalSupabase, startLocalSupabase } from "./local/supabase.ts";
import { startLocalWorker } from "./local/worker.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const started = Date.now();
const vars = loadLocalVars(ROOT, process.env);
const port = Number(process.env.PORT ?? 8787);
// Where the local database lives; tests point it at a temporary directory.
const dataDir = process.env.BREAKWATER_DATA_DIR ?? `${ROOT}/.breakwater`;
const defaults: string[] = [];

let supabase: LocalSupabase | undefined;
if (!vars.SUPABASE_URL) {
  supabase = await startLocalSupabase(`${dataDir}/postgres`);
  vars.SUPABASE_URL = supabase.url;
  vars.SUPABASE_SERVICE_ROLE_KEY = supabase.serviceRoleKey;
  const migrations = supabase.applied.length ? `, applied ${supabase.applied.join(", ")}` : "";
  const shared = supabase.shared ? ", shared with another npm start" : "";
  defaults.push(
    `database: local PostgreSQL in ${relative(process.cwd(), dataDir) || "."}/postgres${shared}${migrations} (SUPABASE_URL not set)`,
  );
}
if (!vars.UPSTASH_REDIS_REST_URL) {
  defaults.push("state: in-isolate memory, one instance only (UPSTASH_REDIS_REST_URL not set)");
}

// Every function's configuration, validated as its first request would, before "listening".
const checks = await checkFunctions(vars);
const docs = documentedVariables(ROOT);
const width = Math.max(...FUNCTIONS.map((fn) => fn.name.length));

const worker = await startLocalWorker({ entry: "functions/worker.ts", bindings: vars, port }).catch(
  async (error: Error) => {
    await supabase?.close();
    throw error;
  },
);

console.log(`Breakwater is listening on ${worker.url} (ready in ${Date.now() - started} ms)`);
for (const line of defaults) console.log(`  default ${line}`);
for (const check of checks)
  console.log(`  ${check.name.padEnd(width)}  ${describeCheck(check, docs)}`);
console.log(`Try: curl -s ${worker.url}/health`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  await worker.dispose();
  await supabase?.close();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
