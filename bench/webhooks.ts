// npm run bench:webhooks [-- --requests N]: handling latency of a new and of a duplicate Stripe
// event, end to end: the all-in-one worker in workerd, signature verification, the Redis claim
// (private redis-server behind the Upstash gateway) and the SQL function (private PostgreSQL
// behind the PostgREST gateway). Requests are sent one at a time from this process.
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { startPostgres } from "../dev/services/postgres.ts";
import { startRedis } from "../dev/services/redis.ts";
import { startUpstashGateway } from "../dev/upstash-gateway/index.ts";
import {
  sendStripe,
  signStripe,
  startWebhookStack,
  stripeEvent,
} from "../test/e2e/webhook-stack.ts";
import { summary } from "./stats.ts";

const requests = Number(process.argv[process.argv.indexOf("--requests") + 1]) || 1000;
const dataDir = mkdtempSync(`${tmpdir()}/bw-bench-`);
chmodSync(dataDir, 0o755);
const postgres = await startPostgres({ dataDir: `${dataDir}/data` });
const redis = await startRedis();
const gateway = await startUpstashGateway({ redisUrl: redis.url, token: "bench" });
const stack = await startWebhookStack({
  postgresAdminUrl: postgres.url,
  upstash: { url: gateway.url, token: "bench" },
});

const newEvent = () =>
  JSON.stringify(
    stripeEvent("payment_intent.succeeded", {
      id: `pi_${crypto.randomUUID().replaceAll("-", "")}`,
      object: "payment_intent",
      amount: 1000,
      currency: "usd",
      status: "succeeded",
    }),
  );

/** One delivery, signed beforehand: signing is the sender's cost, not ours. */
async function timed(payload: string): Promise<number> {
  const header = await signStripe(payload);
  const started = performance.now();
  const res = await sendStripe(stack.worker, payload, { header });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`answered ${res.status}`);
  return performance.now() - started;
}

const duplicate = newEvent();
await timed(duplicate);
for (let i = 0; i < 100; i++) await timed(newEvent());
await new Promise((r) => setTimeout(r, 200)); // the claims' done markers are written after the response

const samples = { new: [] as number[], duplicate: [] as number[] };
const started = performance.now();
for (let i = 0; i < requests; i++) {
  samples.new.push(await timed(newEvent()));
  samples.duplicate.push(await timed(duplicate));
}
const seconds = (performance.now() - started) / 1000;

console.log(
  `${requests} deliveries of each kind, one at a time (${((2 * requests) / seconds).toFixed(0)} deliveries/s overall)`,
);
console.log("kind        p50 ms   p99 ms");
for (const [kind, values] of Object.entries(samples)) {
  const { p50, p99 } = summary(values);
  console.log(`${kind.padEnd(10)} ${p50.toFixed(2).padStart(7)} ${p99.toFixed(2).padStart(8)}`);
}
const { rows } = await stack.db.query("select count(*)::int as n from webhook_events");
console.log(
  `events recorded: ${rows[0].n} (expected ${requests + 101}: every new one, no duplicate)`,
);

await stack.close();
await gateway.close();
await redis.stop();
await postgres.stop();
rmSync(dataDir, { recursive: true, force: true });
