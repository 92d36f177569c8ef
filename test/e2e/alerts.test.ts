import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../dev/local/worker.ts";
import { freePort } from "../../dev/services/ports.ts";
import { createRedis } from "../../shared/clients/redis.ts";
import { createLogger } from "../../shared/http/logger.ts";
import { createResilienceState } from "../../shared/resilience/state.ts";
import { startAlertReceiver } from "../unit/alerts/receiver.ts";

// Two health instances in separate workerd processes share one Redis, and both run their cron
// (as Vercel Cron and pg_cron both would) while a breaker opens and closes again: the alert
// receiver must get each alert exactly once.
const CRON_SECRET = "alerts-e2e-cron-secret";
const prefix = `alerts-${crypto.randomUUID()}:`;
let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
let workers: LocalWorker[];

beforeAll(async () => {
  receiver = await startAlertReceiver();
  const bindings = {
    SUPABASE_URL: inject("supabase").url,
    SUPABASE_SERVICE_ROLE_KEY: inject("supabase").serviceRoleKey,
    UPSTASH_REDIS_REST_URL: inject("upstash").url,
    UPSTASH_REDIS_REST_TOKEN: inject("upstash").token,
    STATE_KEY_PREFIX: prefix,
    CRON_SECRET,
    ALERT_WEBHOOK_URL: receiver.url,
    ALERT_WEBHOOK_FORMAT: "json",
    LOG_LEVEL: "error",
  };
  workers = await Promise.all(
    [0, 1].map(async () =>
      startLocalWorker({
        entry: "functions/health/cloudflare.ts",
        bindings,
        port: await freePort(),
      }),
    ),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.dispose()));
  await receiver.close();
});

/** A breaker of the same fleet, driven from here through the same Redis and Lua scripts. */
const state = createResilienceState({
  redis: createRedis({ ...inject("upstash"), timeoutMs: 2_000 }),
  keyPrefix: prefix,
  keyLocking: false,
  log: createLogger({ fn: "test", sink: () => {} }),
});
const breaker = state.breaker("openai", {
  failureThreshold: 2,
  resetTimeoutMs: 200,
  successThreshold: 1,
});

/** Both instances' cron runs at once, three times over. */
async function cronEverywhere() {
  for (let round = 0; round < 3; round++) {
    const statuses = await Promise.all(
      workers.map(async (w) => {
        const res = await fetch(`${w.url}/health/cron`, {
          headers: { authorization: `Bearer ${CRON_SECRET}` },
        });
        await res.body?.cancel();
        return res.status;
      }),
    );
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
  }
}

const kinds = () => receiver.bodies.map((b) => b.kind);

test("an opened breaker is one alert for the fleet, and its closing one more", async () => {
  for (let i = 0; i < 2; i++)
    await breaker.report(await breaker.acquire(), { ok: false, durationMs: 1 });
  expect((await state.breakers.stats(Date.now())).find((b) => b.name === "openai")?.state).toBe(
    "open",
  );
  await cronEverywhere();
  expect(kinds()).toEqual(["breaker_opened"]);
  expect(receiver.bodies[0]).toMatchObject({ breaker: "openai", source: "breakwater" });

  await new Promise((r) => setTimeout(r, 300)); // the open period ends: one probe, which succeeds
  await breaker.report(await breaker.acquire(), { ok: true, durationMs: 1 });
  expect((await state.breakers.stats(Date.now())).find((b) => b.name === "openai")?.state).toBe(
    "closed",
  );
  await cronEverywhere();
  expect(kinds()).toEqual(["breaker_opened", "breaker_closed"]);
}, 60_000);
