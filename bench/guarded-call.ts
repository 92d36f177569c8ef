// npm run bench:guarded [-- --requests N]: the latency a guarded call adds over a bare one.
// One workerd process (Miniflare's API, no wrangler dev proxy) with the guarded fixture worker,
// a private redis-server behind the local Upstash gateway, and a local upstream; requests are
// sent one at a time from this process, the three kinds interleaved so drift hits all alike.
import { startLocalWorker } from "../dev/local/worker.ts";
import { freePort } from "../dev/services/ports.ts";
import { startRedis } from "../dev/services/redis.ts";
import { startUpstashGateway } from "../dev/upstash-gateway/index.ts";
import { startUpstream } from "../test/e2e/upstream.ts";
import { summary } from "./stats.ts";

const requests = Number(process.argv[process.argv.indexOf("--requests") + 1]) || 2000;

const redis = await startRedis();
const gateway = await startUpstashGateway({ redisUrl: redis.url, token: "bench" });
const upstream = await startUpstream();
const worker = await startLocalWorker({
  entry: "test/fixtures/guarded-worker.ts",
  port: await freePort(),
  bindings: {
    UPSTASH_REDIS_REST_URL: gateway.url,
    UPSTASH_REDIS_REST_TOKEN: "bench",
    STATE_KEY_PREFIX: "bench:",
    UPSTREAM_URL: upstream.url,
    BREAKER_RESET_MS: "60000",
  },
});

const targets = {
  direct: upstream.url,
  bare: `${worker.url}/bare`,
  guarded: `${worker.url}/call?caller=bench`,
};
const samples: Record<keyof typeof targets, number[]> = { direct: [], bare: [], guarded: [] };

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return performance.now() - started;
}

for (let i = 0; i < 200; i++) for (const url of Object.values(targets)) await timed(url);
for (let i = 0; i < requests; i++) {
  for (const [kind, url] of Object.entries(targets)) {
    samples[kind as keyof typeof targets].push(await timed(url));
  }
}

const rows = {
  direct: summary(samples.direct),
  bare: summary(samples.bare),
  guarded: summary(samples.guarded),
};
console.log(`${requests} requests of each kind, one at a time`);
console.log("kind      p50 ms   p99 ms");
for (const [kind, r] of Object.entries(rows)) {
  console.log(`${kind.padEnd(8)} ${r.p50.toFixed(3).padStart(7)} ${r.p99.toFixed(3).padStart(8)}`);
}
const added = rows.guarded.p50 - rows.bare.p50;
console.log(
  `guarded adds ${added.toFixed(3)} ms at p50 over a bare call from the same worker ` +
    `(${(rows.guarded.p50 / rows.bare.p50).toFixed(2)}x), ${(rows.guarded.p99 - rows.bare.p99).toFixed(3)} ms at p99; ` +
    `1 Redis round trip (rate limit + breaker gate) before the upstream call`,
);

await worker.dispose();
await upstream.close();
await gateway.close();
await redis.stop();
