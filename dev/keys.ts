// `npm run keys -- create|list|revoke`: proxy keys in the local database (the one `npm start`
// uses, running or not), or in a Supabase project when SUPABASE_URL and
// SUPABASE_SERVICE_ROLE_KEY are set (environment, .dev.vars or .env). Dev tooling: the same SQL
// functions and the same checks as POST/GET/DELETE /admin/keys.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  type KeyListing,
  createKey,
  listKeys,
  newKeyRequest,
  revokeKey,
} from "../functions/ai-proxy/key-admin.ts";
import { createDatabase as supabaseDatabase } from "../shared/clients/database.ts";
import { isAppError } from "../shared/http/errors.ts";
import { loadLocalVars } from "./local/env-files.ts";
import { startLocalSupabase } from "./local/supabase.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const USAGE = `usage:
  npm run keys -- create --name NAME [--rpm N] [--tpm N] [--budget-usd X --budget-period day|month]
                         [--models a,b] [--expires ISO-8601] [--cache-max-age N] [--allow-direct-models]
  npm run keys -- list
  npm run keys -- revoke ID`;

/** The database to use, and how to let go of it. */
async function database(vars: Record<string, string>) {
  if (vars.SUPABASE_URL && vars.SUPABASE_SERVICE_ROLE_KEY) {
    const db = supabaseDatabase(vars.SUPABASE_URL, vars.SUPABASE_SERVICE_ROLE_KEY);
    return { db, where: vars.SUPABASE_URL, close: async () => {} };
  }
  const dataDir = `${process.env.BREAKWATER_DATA_DIR ?? `${ROOT}/.breakwater`}/postgres`;
  // Attaches to the PostgreSQL a running `npm start` uses, or starts it for this command.
  const local = await startLocalSupabase(dataDir);
  const db = supabaseDatabase(local.url, local.serviceRoleKey);
  const where = `the local database in ${dataDir}${local.shared ? " (npm start's, running)" : ""}`;
  return { db, where, close: local.close };
}

/** `--rpm 10 --models a,b` as the body POST /admin/keys takes. */
function createRequest(flags: Record<string, string | boolean | undefined>) {
  const number = (name: string) => (flags[name] === undefined ? undefined : Number(flags[name]));
  const body: Record<string, unknown> = {
    name: flags.name,
    requests_per_minute: number("rpm"),
    tokens_per_minute: number("tpm"),
    budget_usd: number("budget-usd"),
    budget_period: flags["budget-period"],
    models:
      typeof flags.models === "string" ? flags.models.split(",").map((m) => m.trim()) : undefined,
    expires_at: flags.expires,
    cache_max_age: number("cache-max-age"),
    allow_direct_models: flags["allow-direct-models"] || undefined,
  };
  return newKeyRequest(Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
}

/** The flag that sets each field, for error messages. */
const FLAGS: Record<string, string> = {
  name: "--name",
  requests_per_minute: "--rpm",
  tokens_per_minute: "--tpm",
  budget_usd: "--budget-usd",
  budget_period: "--budget-period",
  models: "--models",
  expires_at: "--expires",
  cache_max_age: "--cache-max-age",
};

function describe(key: KeyListing, now: number): string {
  const status = key.revoked_at
    ? `revoked ${key.revoked_at}`
    : key.expires_at && Date.parse(key.expires_at) <= now
      ? `expired ${key.expires_at}`
      : "active";
  const limits = [
    key.requests_per_minute && `${key.requests_per_minute} rpm`,
    key.tokens_per_minute && `${key.tokens_per_minute} tpm`,
    key.budget_usd !== null
      ? `$${key.spend_usd.toFixed(4)} of $${key.budget_usd} this ${key.budget_period}`
      : `$${key.spend_usd.toFixed(4)} this month`,
    key.models && `models ${key.models.join(",")}`,
    key.cache_max_age && `cache ${key.cache_max_age} s`,
    key.allow_direct_models && "direct models",
    key.expires_at && !key.revoked_at && `expires ${key.expires_at}`,
  ].filter(Boolean);
  return `${key.id}  ${key.prefix ?? "(no prefix)"}…  ${key.name}  [${status}]  ${limits.join(", ")}`;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values: flags } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      rpm: { type: "string" },
      tpm: { type: "string" },
      "budget-usd": { type: "string" },
      "budget-period": { type: "string" },
      models: { type: "string" },
      expires: { type: "string" },
      "cache-max-age": { type: "string" },
      "allow-direct-models": { type: "boolean" },
    },
  });
  const [command, id, ...rest] = positionals;
  const valid =
    (command === "create" && !id) || (command === "list" && !id) || (command === "revoke" && id);
  if (!valid || rest.length) {
    console.error(USAGE);
    return 2;
  }
  const request = command === "create" ? createRequest(flags) : undefined;
  const { db, where, close } = await database(loadLocalVars(ROOT, process.env));
  try {
    if (request) {
      const key = await createKey(db, request);
      console.log(`Created key ${key.id} (${key.name}) in ${where}.`);
      console.log(`\n  ${key.key}\n\nThis is the only time the key is shown: store it now.`);
    } else if (command === "list") {
      const keys = await listKeys(db);
      const now = Date.now();
      for (const key of keys) console.log(describe(key, now));
      console.log(`${keys.length} key${keys.length === 1 ? "" : "s"} in ${where}.`);
    } else {
      const revoked = await revokeKey(db, id!);
      if (!revoked) {
        console.error(`No key with id ${id} in ${where}.`);
        return 1;
      }
      console.log(
        `Revoked ${revoked.id} at ${revoked.revoked_at} (refused everywhere within 30 s).`,
      );
    }
    return 0;
  } finally {
    await close();
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const field = isAppError(error) ? String(error.details?.field) : undefined;
  const flag = field && FLAGS[field];
  console.error(flag ? `${flag}: ${(error as Error).message}` : (error as Error).message);
  process.exitCode = 1;
}
