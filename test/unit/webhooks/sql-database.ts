import { randomUUID } from "node:crypto";
import { type SupabaseClient, createClient } from "@supabase/supabase-js";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import {
  type PostgrestGateway,
  startPostgrestGateway,
} from "../../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../../dev/services/database.ts";

const CLIENT_OPTIONS = { auth: { persistSession: false, autoRefreshToken: false } };

/** What the SQL tests call through (supabase-js via the gateway) and read back with (pg). */
export interface SqlFixture {
  databaseUrl: string;
  gateway: PostgrestGateway;
  /** The service role's key at the gateway (for an edge function's SUPABASE_SERVICE_ROLE_KEY). */
  serviceRoleKey: string;
  /** supabase-js as the service role: how the edge code calls the functions. */
  service: SupabaseClient;
  /** supabase-js with the anon key: who must be refused. */
  anon: SupabaseClient;
  db: pg.Client;
}

/**
 * A fresh database of this run's PostgreSQL with every migration applied, behind its own
 * PostgREST gateway, for the file that calls this (set up before its tests, closed after).
 */
export function useMigratedDatabase(label: string): SqlFixture {
  const fixture = {} as SqlFixture;
  beforeAll(async () => {
    const keys = { serviceRoleKey: `service-${randomUUID()}`, anonKey: `anon-${randomUUID()}` };
    fixture.databaseUrl = await createDatabase(
      inject("postgresAdminUrl"),
      `${label}_${randomUUID().slice(0, 8)}`,
    );
    await migrate(fixture.databaseUrl);
    fixture.gateway = await startPostgrestGateway({ databaseUrl: fixture.databaseUrl, ...keys });
    fixture.serviceRoleKey = keys.serviceRoleKey;
    fixture.service = createClient(fixture.gateway.url, keys.serviceRoleKey, CLIENT_OPTIONS);
    fixture.anon = createClient(fixture.gateway.url, keys.anonKey, CLIENT_OPTIONS);
    fixture.db = new pg.Client({ connectionString: fixture.databaseUrl });
    await fixture.db.connect();
  });
  afterAll(async () => {
    await fixture.db?.end();
    await fixture.gateway?.close();
  });
  return fixture;
}
