import { oneOf, string, url } from "./schema.ts";

/** Supabase: where the RPC functions live, and the key they are called with. */
export const supabaseVars = {
  SUPABASE_URL: url(),
  SUPABASE_SERVICE_ROLE_KEY: string(),
};

/** Upstash Redis (REST). Both absent: state stays in isolate memory. */
export const upstashVars = {
  UPSTASH_REDIS_REST_URL: url().optional(),
  UPSTASH_REDIS_REST_TOKEN: string().optional(),
  /** Prefix of every key this deployment writes, so deployments can share a database. */
  STATE_KEY_PREFIX: string().default("bw:"),
  /** Upstash locks only a script's own keys with this flag; a plain Redis 7 rejects it. */
  UPSTASH_LUA_KEY_LOCKING: oneOf(["true", "false"]).default("true"),
};

export const upstashTogether = [["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"]] as const;

export const logVars = {
  LOG_LEVEL: oneOf(["debug", "info", "warn", "error"]).default("info"),
};
