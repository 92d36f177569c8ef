import { PostgrestClient } from "@supabase/postgrest-js";

/** The Postgres surface edge code uses: SQL functions in `supabase/migrations`, one RPC each. */
export type Database = PostgrestClient;

/**
 * A PostgREST client for `${supabaseUrl}/rest/v1` as the service role. We use postgrest-js, the
 * part of supabase-js that `.rpc()` needs, because the whole supabase-js client would take most
 * of a function's bundle budget (see README, "Why postgrest-js").
 */
export function createDatabase(supabaseUrl: string, serviceRoleKey: string): Database {
  return new PostgrestClient(`${supabaseUrl}/rest/v1`, {
    headers: { apikey: serviceRoleKey, Authorization: `Bearer ${serviceRoleKey}` },
  });
}

/**
 * The database's breaker (one per deployment, named `postgres`): after 5 failed calls, answer
 * at once for 5 s (doubling while it stays down, up to a minute) rather than wait on a dead
 * database, then let one probe through.
 */
export const DATABASE_BREAKER = {
  failureThreshold: 5,
  resetTimeoutMs: 5_000,
  maxResetTimeoutMs: 60_000,
  halfOpenMaxCalls: 1,
  successThreshold: 1,
  probeLeaseMs: 10_000,
};
