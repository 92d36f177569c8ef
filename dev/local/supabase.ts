import { chmodSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { startPostgrestGateway } from "../postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../services/database.ts";
import { startPostgres } from "../services/postgres.ts";

export interface LocalSupabase {
  /** What SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY should hold. */
  url: string;
  serviceRoleKey: string;
  /** Migrations applied by this start (empty when the database was up to date). */
  applied: string[];
  close(): Promise<void>;
}

/**
 * A durable local stand-in for a Supabase project: PostgreSQL in `dataDir` (created on first
 * use, kept between runs) with every migration applied, behind the PostgREST RPC gateway.
 */
export async function startLocalSupabase(dataDir: string): Promise<LocalSupabase> {
  mkdirSync(dirname(dataDir), { recursive: true });
  // PostgreSQL runs as the `postgres` user when we are root: it must reach its data directory.
  chmodSync(dirname(dataDir), 0o755);
  const postgres = await startPostgres({ dataDir, durable: true });
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
      close: async () => {
        await gateway.close();
        await postgres.stop();
      },
    };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}
