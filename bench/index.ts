// npm run bench [-- --quick]: the figures of the AI proxy, the webhooks and the shared breaker,
// measured on this machine's loopback, and each worker's bundle size and cold start. The functions run in workerd (the all-in-one worker, as
// `npm start` runs it) over a private redis-server behind the Upstash gateway, a private
// PostgreSQL behind the PostgREST gateway and the OpenAI mock, all in this process; the load
// comes from a process of its own (bench/load). Prints Markdown tables and writes the figures
// to bench/results.json (full mode) or .breakwater/bench-quick.json (quick mode, CI's smoke run,
// which must not overwrite the committed figures). Exits non-zero if any figure did not come out,
// or if the soak (full mode) finds the proxy's memory grown past its target.
import { cpus } from "node:os";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { benchAiProxy } from "./ai-proxy.ts";
import { benchBreakerLeak } from "./breaker-leak.ts";
import { buildCloudflare } from "../dev/build/cloudflare.ts";
import { FUNCTIONS } from "../functions/registry.ts";
import { bundleSizes } from "./bundle.ts";
import { measureColdStarts } from "./cold-start.ts";
import { startLoadProcess } from "./load/index.ts";
import { PLANS } from "./plan.ts";
import { type Results, missingFigures, report, toJson } from "./report.ts";
import { countRoundTrips } from "./round-trips.ts";
import { SOAK_RSS_TARGET, benchSoak } from "./soak.ts";
import { startStack } from "./stack.ts";
import { benchWebhooks } from "./webhooks.ts";

const started = performance.now();
const plan = process.argv.includes("--quick") ? PLANS.quick : PLANS.full;
const out = fileURLToPath(
  new URL(
    plan.mode === "full" ? "./results.json" : "../.breakwater/bench-quick.json",
    import.meta.url,
  ),
);

// First, alone: wrangler keeps both cores busy while it builds, and a cold start is CPU time.
const artifacts = await buildCloudflare(FUNCTIONS);
const bundle_kib = bundleSizes(artifacts);
const cold_start_ms = await measureColdStarts(artifacts, plan.coldStarts);
const stack = await startStack();
const load = startLoadProcess();
let results: Results;
try {
  // First: its counts are what the timed runs check that Redis kept up with.
  const roundTrips = await countRoundTrips(stack, load, plan);
  const commands = roundTrips.redis_commands_per_request;
  const ai_proxy = await benchAiProxy(stack, load, plan, commands);
  const webhooks = await benchWebhooks(stack, load, plan, commands);
  const breaker_leak = await benchBreakerLeak(stack, load, plan);
  // Last: minutes of load, and it needs nothing the others leave behind.
  const soak = plan.soak ? await benchSoak(stack, load, plan, plan.soak) : undefined;
  results = {
    mode: plan.mode,
    date: new Date().toISOString().slice(0, 10),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model.trim() ?? "unknown",
      node: process.version,
    },
    plan,
    ai_proxy: { ...ai_proxy, ...(soak ? { soak } : {}) },
    ...roundTrips,
    webhooks,
    breaker_leak,
    bundle_kib,
    cold_start_ms,
  };
} finally {
  await load.close();
  await stack.close();
}

const missing = missingFigures(results);
if (missing.length > 0) throw new Error(`bench: no figure for ${missing.join(", ")}`);
console.log(report(results));
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, await toJson(results, out));
console.log(
  `\n${plan.mode} run in ${((performance.now() - started) / 1000).toFixed(0)} s, figures in ${out}`,
);
const ratio = results.ai_proxy.soak?.rss_ratio_end_to_10k;
if (ratio !== undefined && ratio > SOAK_RSS_TARGET) {
  console.error(
    `bench: the soak's memory grew ${ratio.toFixed(2)}× from 10,000 requests to the end (target ≤ ${SOAK_RSS_TARGET}×)`,
  );
  process.exitCode = 1;
}
