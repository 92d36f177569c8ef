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
