import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { startPostgrestGateway } from "../postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../services/database.ts";
import { attachPostgres } from "./shared-postgres.ts";

export interface LocalSupabase {
  /** What SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY should hold. */
  url: string;
  serviceRoleKey: string;
  /** Migrations applied by this start (empty when the database was up to date). */
  applied: string[];
  /** Whether another `npm start` already ran this PostgreSQL. */
  shared: boolean;
  close(): Promise<void>;
}

/**
 * A durable local stand-in for a Supabase project: PostgreSQL in `dataDir` (created on first
 * use, kept between runs, shared by every `npm start` on it) with every migration applied,
 * behind a PostgREST RPC gateway of this process's own.
 */
export async function startLocalSupabase(dataDir: string): Promise<LocalSupabase> {
  mkdirSync(dirname(dataDir), { recursive: true });
  // PostgreSQL runs as the `postgres` user when we are root: it must reach its data directory.
  chmodSync(dirname(dataDir), 0o755);
  const postgres = await attachPostgres(dataDir);
  try {
    const databaseUrl = await createDatabase(postgres.url, "breakwater");
    const applied = await migrate(databaseUrl);
    const serviceRoleKey = `local-service-role-${crypto.randomUUID()}`;
    const gateway = await startPostgrestGateway({
      databaseUrl,
      serviceRoleKey,
      anonKey: `local-anon-${crypto.randomUUID()}`,
    });
    return {
      url: gateway.url,
      serviceRoleKey,
      applied,
      shared: !postgres.started,
      close: async () => {
        await gateway.close();
        postgres.release();
      },
    };
  } catch (error) {
    postgres.release();
    throw error;
  }
}
