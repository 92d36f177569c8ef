// How many calls reach a failing upstream when several isolates share one breaker, the method of
// test/e2e/multi-instance.test.ts: N guarded fixture workers, each its own workerd process, on one
// Redis; the upstream starts failing and requests go on, one at a time round robin, then
// concurrently. Isolates with breakers of their own would let N × threshold calls through.
import { type LocalWorker, startLocalWorker } from "../dev/local/worker.ts";
import { freePort } from "../dev/services/ports.ts";
import { startUpstream } from "../test/e2e/upstream.ts";
import type { LoadProcess } from "./load/index.ts";
import type { RequestSpec } from "./load/jobs.ts";
import { expectStatus, settle } from "./measure.ts";
import type { Plan } from "./plan.ts";
import type { BenchStack } from "./stack.ts";

/** The guarded fixture's failureThreshold. */
const FAILURE_THRESHOLD = 5;

type Upstream = Awaited<ReturnType<typeof startUpstream>>;

async function leak(
  stack: BenchStack,
  load: LoadProcess,
  plan: Plan,
  upstream: Upstream,
  drive: "sequential" | "concurrent",
) {
  const bindings = {
    UPSTASH_REDIS_REST_URL: stack.bindings.UPSTASH_REDIS_REST_URL!,
    UPSTASH_REDIS_REST_TOKEN: stack.bindings.UPSTASH_REDIS_REST_TOKEN!,
    // A breaker of its own for each drive.
    STATE_KEY_PREFIX: `bench-leak-${crypto.randomUUID()}:`,
    UPSTREAM_URL: upstream.url,
    // Longer than the run: no half-open probe adds to the count.
    BREAKER_RESET_MS: "600000",
  };
  const workers: LocalWorker[] = [];
  try {
    // One at a time: startLocalWorker bundles every worker of an entry into the same file.
    for (let i = 0; i < plan.leak.isolates; i++) {
      workers.push(
        await startLocalWorker({
          entry: "test/fixtures/guarded-worker.ts",
          port: await freePort(),
          bindings,
        }),
      );
    }
    const isolates: Record<string, RequestSpec> = Object.fromEntries(
      workers.map((worker, i) => [
        `isolate ${i}`,
        { url: `${worker.url}/call?caller=bench`, method: "GET" },
      ]),
    );
    // Each isolate loaded and its scripts in Redis while the upstream is healthy.
    const warm = await load.run({ kind: "probe", targets: isolates, requests: 0, warmup: 1 });
    for (const [name, samples] of Object.entries(warm)) expectStatus(name, samples.statuses);
    await settle();

    upstream.fail(true);
    const before = upstream.hits();
    const requests = drive === "sequential" ? plan.leak.sequential : plan.leak.concurrent;
    if (drive === "sequential") {
      await load.run({
        kind: "probe",
        targets: isolates,
        requests: requests / plan.leak.isolates,
        warmup: 0,
      });
    } else {
      const specs = Object.values(isolates);
      await load.run({
        kind: "load",
        spec: specs[0]!,
        urls: specs.map((spec) => spec.url),
        connections: plan.connections,
        amount: requests,
      });
    }
    const calls = upstream.hits() - before;
    return {
      requests,
      upstream_calls: calls,
      ratio_to_baseline: calls / (plan.leak.isolates * FAILURE_THRESHOLD),
    };
  } finally {
    upstream.fail(false);
    for (const worker of workers) await worker.dispose();
  }
}

export async function benchBreakerLeak(stack: BenchStack, load: LoadProcess, plan: Plan) {
  const upstream = await startUpstream();
  try {
    return {
      isolates: plan.leak.isolates,
      failure_threshold: FAILURE_THRESHOLD,
      per_isolate_baseline: plan.leak.isolates * FAILURE_THRESHOLD,
      sequential: await leak(stack, load, plan, upstream, "sequential"),
      concurrent: await leak(stack, load, plan, upstream, "concurrent"),
    };
  } finally {
    await upstream.close();
  }
}
