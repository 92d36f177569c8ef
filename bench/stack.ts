// The bench's own services on free loopback ports, so that nothing else shows in its counts: a
// private redis-server behind the Upstash gateway, a private PostgreSQL (fsync off, as in the
// tests) with every migration behind the PostgREST gateway, the OpenAI mock, and the all-in-one
// worker in workerd, started as `npm start` starts it (Miniflare's API, no wrangler dev proxy).
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import IORedis from "ioredis";
import pg from "pg";
import { type LocalWorker, startLocalWorker } from "../dev/local/worker.ts";
import { startPostgrestGateway } from "../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../dev/services/database.ts";
import { freePort } from "../dev/services/ports.ts";
import { startPostgres } from "../dev/services/postgres.ts";
import { startRedis } from "../dev/services/redis.ts";
import { startUpstashGateway } from "../dev/upstash-gateway/index.ts";
import { OPENAI_MOCK_KEY, startOpenAiMock } from "../test/mocks/openai.ts";
import type { MockServer } from "../test/mocks/harness.ts";
import { type Roles, processes } from "./cpu.ts";

export const PROXY_KEY = "bw-bench-proxy-key-0123456789";
export const STRIPE_SECRET = "whsec_bench_c2VjcmV0LWZvci1iZW5jaA";
/** The public model asked for: the upstream's own name, so every path carries the same body. */
export const MODEL = "gpt-4o-mini";

/** Cumulative counts; the difference of two over the requests between them is a per-request figure. */
export interface Counters {
  /** Redis's own `INFO commandstats` calls per command, less our INFO. */
  commands: Record<string, number>;
  /** HTTP requests the Upstash gateway served: Redis round trips as the functions see them. */
  redisRoundTrips: number;
  /** HTTP requests the PostgREST gateway served: RPCs, each one Postgres round trip. */
  postgresRoundTrips: number;
}

/** Commands counted since `monitor()`, until `stop()`. */
export interface RedisMonitor {
  counts(): { sent: number; inScripts: number };
  stop(): void;
}

export interface BenchStack {
  openai: MockServer;
  /** The all-in-one worker: AI proxy, webhooks and health. */
  worker: LocalWorker;
  /** Its bindings, for variants of it and for the breaker-leak workers (same Redis). */
  bindings: Record<string, string>;
  counters(): Promise<Counters>;
  /** Commands Redis has run so far, by INFO commandstats, less our INFO. */
  redisCommands(): Promise<number>;
  /**
   * The processes a request through `worker` (none: straight to the mock) spends CPU in: its
   * workerd, this process (the mock, both gateways, Miniflare), redis-server, PostgreSQL.
   */
  roles(worker?: LocalWorker): Roles;
  /**
   * Counts commands as Redis's MONITOR shows them: sent by a client, or run by a Lua script.
   * MONITOR slows Redis down: only while counting, never while timing.
   */
  monitor(): Promise<RedisMonitor>;
  /** Rows in webhook_events. */
  webhookEvents(): Promise<number>;
  close(): Promise<void>;
}

export async function startStack(): Promise<BenchStack> {
  const stops: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  try {
    const dataDir = mkdtempSync(`${tmpdir()}/bw-bench-`);
    stops.push(() => rmSync(dataDir, { recursive: true, force: true }));
    // PostgreSQL runs as the `postgres` user when we are root: it must reach its data.
    chmodSync(dataDir, 0o755);
    const redis = await startRedis();
    stops.push(redis.stop);
    const postgres = await startPostgres({ dataDir: `${dataDir}/data` });
    stops.push(postgres.stop);
    const databaseUrl = await createDatabase(postgres.url, "breakwater");
    await migrate(databaseUrl);
    const serviceRoleKey = `bench-service-${crypto.randomUUID()}`;
    const postgrest = await startPostgrestGateway({
      databaseUrl,
      serviceRoleKey,
      anonKey: `bench-anon-${crypto.randomUUID()}`,
    });
    stops.push(postgrest.close);
    const token = `bench-${crypto.randomUUID()}`;
    const upstash = await startUpstashGateway({ redisUrl: redis.url, token });
    stops.push(upstash.close);
    const openai = await startOpenAiMock();
    stops.push(openai.close);
    const admin = new IORedis(redis.url);
    stops.push(() => admin.disconnect());
    const db = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    stops.push(() => db.end());

    const bindings = {
      SUPABASE_URL: postgrest.url,
      SUPABASE_SERVICE_ROLE_KEY: serviceRoleKey,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: token,
      STATE_KEY_PREFIX: "bench:",
      STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
      STRIPE_MODE: "test",
      OPENAI_API_KEY: OPENAI_MOCK_KEY,
      OPENAI_BASE_URL: openai.url,
      AI_ROUTES: JSON.stringify({ [MODEL]: [`openai:${MODEL}`] }),
      PROXY_API_KEYS: PROXY_KEY,
      // The highest limit the proxy takes: the bench measures the limiter's cost, never its refusal.
      AI_REQUESTS_PER_MINUTE: "1000000",
      // An access line per request would put a console write on every path and flood the table.
      LOG_LEVEL: "warn",
    };
    const worker = await startLocalWorker({
      entry: "functions/worker.ts",
      port: await freePort(),
      bindings,
    });
    stops.push(worker.dispose);

    const counters = async (): Promise<Counters> => {
      const info = await admin.info("commandstats");
      const commands: Record<string, number> = {};
      for (const [, name, calls] of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
        if (name !== "info") commands[name!] = Number(calls);
      }
      return {
        commands,
        redisRoundTrips: upstash.requestCount(),
        postgresRoundTrips: postgrest.requestCount(),
      };
    };
    return {
      openai,
      worker,
      bindings,
      counters,
      async redisCommands() {
        const { commands } = await counters();
        return Object.values(commands).reduce((sum, n) => sum + n, 0);
      },
      roles(through) {
        const all = processes();
        const postmaster = all.find(
          (p) =>
            p.command.includes("/bin/postgres ") && p.command.includes(` -p ${postgres.port} `),
        )?.pid;
        const pids = (match: (p: (typeof all)[number]) => boolean) =>
          all.filter(match).map((p) => p.pid);
        return {
          workerd: through
            ? pids(
                (p) =>
                  p.command.includes("workerd") &&
                  p.command.includes(`--socket-addr=entry=${new URL(through.url).host} `),
              )
            : [],
          bench_process: [process.pid],
          redis: pids(
            (p) => p.command.includes("redis-server") && p.command.includes(`:${redis.port}`),
          ),
          postgres: pids((p) => p.pid === postmaster || p.ppid === postmaster),
        };
      },
      async monitor() {
        const monitor = await admin.monitor();
        const counts = { sent: 0, inScripts: 0 };
        monitor.on("monitor", (_time: string, args: string[], source: string) => {
          if (args[0]?.toLowerCase() === "info") return; // ours
          if (source === "lua") counts.inScripts++;
          else counts.sent++;
        });
        return { counts: () => ({ ...counts }), stop: () => monitor.disconnect() };
      },
      async webhookEvents() {
        const { rows } = await db.query<{ n: number }>(
          "select count(*)::int as n from webhook_events",
        );
        return rows[0]!.n;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
