// Vitest global setup: one private redis-server and one private PostgreSQL cluster per test run,
// on free loopback ports, with the local Upstash and PostgREST gateways in front of them, all
// stopped afterwards. Tests receive the addresses through `inject()`.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { TestProject } from "vitest/node";
import { startPostgrestGateway } from "../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../dev/services/database.ts";
import { startPostgres } from "../../dev/services/postgres.ts";
import { startRedis } from "../../dev/services/redis.ts";
import { startUpstashGateway } from "../../dev/upstash-gateway/index.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port> of this run's redis-server. */
    redisUrl: string;
    /** Superuser URL of this run's PostgreSQL (database `postgres`). */
    postgresAdminUrl: string;
    /** The Upstash REST gateway over this run's redis-server. */
    upstash: { url: string; token: string };
    /** The PostgREST gateway over database `breakwater`, every migration applied. */
    supabase: { url: string; serviceRoleKey: string; anonKey: string; databaseUrl: string };
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(`${tmpdir()}/breakwater-pg-`);
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to reach its data.
  chmodSync(dataDir, 0o755);
  const stops: (() => Promise<void>)[] = [];
  const teardown = async () => {
    for (const stop of stops.reverse()) await stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const redis = await startRedis();
    stops.push(redis.stop);
    const postgres = await startPostgres({ dataDir: `${dataDir}/data` });
    stops.push(postgres.stop);

    const token = `upstash-${crypto.randomUUID()}`;
    const upstash = await startUpstashGateway({ redisUrl: redis.url, token });
    stops.push(upstash.close);

    const databaseUrl = await createDatabase(postgres.url, "breakwater");
    await migrate(databaseUrl);
    const keys = {
      serviceRoleKey: `service-${crypto.randomUUID()}`,
      anonKey: `anon-${crypto.randomUUID()}`,
    };
    const postgrest = await startPostgrestGateway({ databaseUrl, ...keys });
    stops.push(postgrest.close);

    project.provide("redisUrl", redis.url);
    project.provide("postgresAdminUrl", postgres.url);
    project.provide("upstash", { url: upstash.url, token });
    project.provide("supabase", { url: postgrest.url, databaseUrl, ...keys });
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
