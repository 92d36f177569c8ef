// Vitest global setup: one private redis-server and one private PostgreSQL cluster per test run,
// on free loopback ports, stopped afterwards. Tests receive their addresses through `inject()`.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { TestProject } from "vitest/node";
import { startPostgres } from "../../dev/services/postgres.ts";
import { startRedis } from "../../dev/services/redis.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** redis://127.0.0.1:<port> of this run's redis-server. */
    redisUrl: string;
    /** Superuser URL of this run's PostgreSQL (database `postgres`). */
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dataDir = mkdtempSync(`${tmpdir()}/breakwater-pg-`);
  // PostgreSQL runs as the `postgres` user when we are root: it must be able to reach its data.
  chmodSync(dataDir, 0o755);
  const redis = await startRedis();
  const postgres = await startPostgres({ dataDir: `${dataDir}/data` }).catch(async (error) => {
    await redis.stop();
    throw error;
  });
  project.provide("redisUrl", redis.url);
  project.provide("postgresAdminUrl", postgres.url);
  return async () => {
    await Promise.all([redis.stop(), postgres.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  };
}
