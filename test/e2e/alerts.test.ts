import { afterAll, beforeAll, expect, test } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../dev/local/worker.ts";
import { freePort } from "../../dev/services/ports.ts";
import { type RedisServer, startRedis } from "../../dev/services/redis.ts";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";
import { startAlertReceiver } from "../unit/alerts/receiver.ts";
import { startUpstream } from "./upstream.ts";

// Two workerd processes run the same guarded route against one Redis with ALERT_WEBHOOK_URL set:
// the upstream fails on both until its breaker opens, then recovers until it closes. The
// receiver must get each of those alerts exactly once for the fleet.
let redis: RedisServer;
let gateway: UpstashGateway;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
let workers: LocalWorker[];

beforeAll(async () => {
  redis = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: redis.url, token: "t" });
  [upstream, receiver] = await Promise.all([startUpstream(), startAlertReceiver()]);
  const bindings = {
    UPSTASH_REDIS_REST_URL: gateway.url,
    UPSTASH_REDIS_REST_TOKEN: "t",
    STATE_KEY_PREFIX: `alerts-${crypto.randomUUID()}:`,
    UPSTREAM_URL: upstream.url,
    BREAKER_RESET_MS: "500",
    ALERT_WEBHOOK_URL: receiver.url,
    ALERT_WEBHOOK_FORMAT: "json",
    LOG_LEVEL: "error",
  };
  workers = await Promise.all(
    [0, 1].map(async () =>
      startLocalWorker({
        entry: "test/fixtures/guarded-worker.ts",
        bindings,
        port: await freePort(),
      }),
    ),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.dispose()));
  await Promise.all([upstream.close(), receiver.close(), gateway.close()]);
  await redis.stop();
});

const call = async (worker: LocalWorker) => (await fetch(`${worker.url}/call?caller=c1`)).status;
const alerts = (kind: string) => receiver.bodies.filter((b) => b.kind === kind);

async function until(condition: () => boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

test("an opened breaker is one alert for the fleet, and its closing another", async () => {
  upstream.fail(true);
  // Both instances fail concurrently, well past the threshold.
  await Promise.all(
    workers.map(async (w) => {
      for (let i = 0; i < 8; i++) await call(w);
    }),
  );
  await until(() => alerts("breaker_opened").length > 0, 3_000);
  await new Promise((r) => setTimeout(r, 500)); // any second alert would have arrived by now
  expect(alerts("breaker_opened")).toHaveLength(1);
  expect(alerts("breaker_opened")[0]).toMatchObject({ breaker: "upstream", source: "breakwater" });

  upstream.fail(false);
  await new Promise((r) => setTimeout(r, 700)); // the open period (500 ms) ends
  for (let i = 0; i < 6; i++) await Promise.all(workers.map(call));
  await until(() => alerts("breaker_closed").length > 0, 3_000);
  await new Promise((r) => setTimeout(r, 500));
  expect(alerts("breaker_closed")).toHaveLength(1);
  expect(receiver.bodies.map((b) => b.kind)).toEqual(["breaker_opened", "breaker_closed"]);
}, 60_000);

test("a hanging alert receiver never slows a request", async () => {
  receiver.answer("hang");
  upstream.fail(true);
  const before = receiver.bodies.length;
  const started = Date.now();
  // The breaker re-opens: its alert (to a receiver that never answers) runs after the responses.
  for (let i = 0; i < 6; i++) await Promise.all(workers.map(call));
  const perCall = (Date.now() - started) / 12;
  console.log(`with a hanging alert receiver: ${perCall.toFixed(1)} ms per call`);
  await until(() => receiver.bodies.length > before, 3_000);
  expect(alerts("breaker_opened")).toHaveLength(2); // the alert did go out, to a receiver that hangs
  expect(perCall).toBeLessThan(500);
  upstream.fail(false);
}, 60_000);
