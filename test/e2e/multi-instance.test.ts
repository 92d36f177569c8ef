import IORedis from "ioredis";
import { SUCCESS_FLUSH_MS } from "../../shared/resilience/state.ts";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../dev/local/worker.ts";
import { freePort } from "../../dev/services/ports.ts";
import { type RedisServer, startRedis } from "../../dev/services/redis.ts";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";
import { startUpstream } from "./upstream.ts";

// Two separately started workerd processes running the same guarded route against one Redis
// (a private one: Redis's own command counts must see only this file's traffic).
const FAILURE_THRESHOLD = 5;
let redis: RedisServer;
let gateway: UpstashGateway;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let admin: IORedis;

beforeAll(async () => {
  redis = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: redis.url, token: "t" });
  upstream = await startUpstream();
  admin = new IORedis(redis.url);
}, 30_000);
afterAll(async () => {
  admin.disconnect();
  await upstream.close();
  await gateway.close();
  await redis.stop();
});

async function instances(count: number, resetMs: number): Promise<LocalWorker[]> {
  const bindings = {
    UPSTASH_REDIS_REST_URL: gateway.url,
    UPSTASH_REDIS_REST_TOKEN: "t",
    STATE_KEY_PREFIX: `multi-${crypto.randomUUID()}:`,
    UPSTREAM_URL: upstream.url,
    BREAKER_RESET_MS: String(resetMs),
  };
  return Promise.all(
    Array.from({ length: count }, async () =>
      startLocalWorker({
        entry: "test/fixtures/guarded-worker.ts",
        bindings,
        port: await freePort(),
      }),
    ),
  );
}

const call = async (worker: LocalWorker) => (await fetch(`${worker.url}/call?caller=c1`)).status;
/** Waits for the outcome reports that run after the responses (waitUntil). */
const settle = () => new Promise((r) => setTimeout(r, 300));

async function evalshaCalls(): Promise<number> {
  const info = await admin.info("commandstats");
  return Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0);
}

test("a breaker opened through one instance is open in the other: upstream calls leaked ≤ threshold + instances", async () => {
  const workers = await instances(2, 60_000);
  try {
    upstream.fail(true);
    const before = upstream.hits();
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await call(workers[i % 2]!));
    const leaked = upstream.hits() - before;
    console.log(
      `breaker leak: ${leaked} upstream calls after the failure started, with 2 instances and failureThreshold ${FAILURE_THRESHOLD} (per-isolate breakers: ${2 * FAILURE_THRESHOLD})`,
    );
    expect(leaked).toBeLessThanOrEqual(FAILURE_THRESHOLD + workers.length);
    expect(statuses.slice(-10)).toEqual(Array(10).fill(503)); // both instances refuse now
  } finally {
    upstream.fail(false);
    await Promise.all(workers.map((w) => w.dispose()));
  }
}, 60_000);

test("Redis round trips per guarded call: 1 before the upstream call when closed, 0 once open is cached", async () => {
  const [worker] = await instances(1, 60_000);
  try {
    await call(worker!); // loads the scripts (NOSCRIPT, then EVAL): once per database
    await new Promise((r) => setTimeout(r, SUCCESS_FLUSH_MS)); // its held success is flushed
    await settle();

    /** Redis round trips and EVALSHAs of `run`, its deferred work included. */
    const counted = async (run: () => Promise<unknown>) => {
      const requests = gateway.requestCount();
      const commands = await evalshaCalls();
      await run();
      await settle();
      return {
        total: gateway.requestCount() - requests,
        evalsha: (await evalshaCalls()) - commands,
      };
    };
    let beforeUpstream = -1;
    let requested = 0;
    upstream.onHit(() => {
      if (beforeUpstream < 0) beforeUpstream = gateway.requestCount() - requested;
    });
    const closed = await counted(async () => {
      requested = gateway.requestCount();
      expect(await call(worker!)).toBe(200);
    });
    // A success costs no round trip of its own: the next call's one carries its report...
    const next = await counted(async () => expect(await call(worker!)).toBe(200));
    // ...or, when no call comes, it goes alone once the flush period is up.
    const flushed = await counted(() => new Promise((r) => setTimeout(r, SUCCESS_FLUSH_MS)));
    console.log(
      `closed breaker: ${beforeUpstream} Redis round trip(s) before the upstream call, ${closed.total} in all, ${closed.evalsha} EVALSHA (rate limit + gate); ` +
        `the next call ${next.total} round trip, ${next.evalsha} EVALSHA (+ the held report); with no next call, ${flushed.total} round trip after ${SUCCESS_FLUSH_MS} ms`,
    );
    expect(beforeUpstream).toBe(1);
    expect(closed).toEqual({ total: 1, evalsha: 2 });
    expect(next).toEqual({ total: 1, evalsha: 3 });
    expect(flushed).toEqual({ total: 1, evalsha: 1 });

    upstream.fail(true);
    for (let i = 0; i < FAILURE_THRESHOLD; i++) await call(worker!);
    await settle();
    const openRequests = gateway.requestCount();
    const openCommands = await evalshaCalls();
    for (let i = 0; i < 10; i++) expect(await call(worker!)).toBe(503);
    const open = {
      requests: gateway.requestCount() - openRequests,
      evalsha: (await evalshaCalls()) - openCommands,
    };
    console.log(
      `open breaker, cached in the isolate: ${open.requests} Redis round trips for 10 refused calls (rate limit only)`,
    );
    // The rate limit is still counted; the breaker costs nothing.
    expect(open).toEqual({ requests: 10, evalsha: 10 });
  } finally {
    upstream.fail(false);
    await worker!.dispose();
  }
}, 60_000);

test("Redis round trips of a half-open probe: 1 before the upstream call, 1 report after", async () => {
  const [worker] = await instances(1, 300);
  try {
    await call(worker!);
    upstream.fail(true);
    for (let i = 0; i < FAILURE_THRESHOLD; i++) await call(worker!);
    upstream.fail(false);
    await new Promise((r) => setTimeout(r, 400)); // the open period ends

    let beforeUpstream = -1;
    upstream.onHit(() => (beforeUpstream = gateway.requestCount()));
    const requests = gateway.requestCount();
    expect(await call(worker!)).toBe(200);
    await settle();
    const probe = {
      beforeUpstream: beforeUpstream - requests,
      total: gateway.requestCount() - requests,
    };
    console.log(
      `half-open probe: ${probe.beforeUpstream} Redis round trip(s) before the upstream call, ${probe.total} in all`,
    );
    expect(probe).toEqual({ beforeUpstream: 1, total: 2 });
  } finally {
    await worker!.dispose();
  }
}, 60_000);
