// Per request on each path, deferred work included (the stack's services serve nothing else while
// a path is counted): Redis commands run, by command (Redis's own INFO commandstats), and how many
// of them clients sent rather than Lua scripts ran (MONITOR); Redis HTTP round trips (the Upstash
// gateway's count); Postgres round trips (the PostgREST gateway's RPC count).
import { chatSpec } from "./ai-proxy.ts";
import type { LoadProcess } from "./load/index.ts";
import type { RequestSpec } from "./load/jobs.ts";
import { stripeEvent } from "./load/stripe.ts";
import { expectStatus, settle } from "./measure.ts";
import type { Plan } from "./plan.ts";
import { type BenchStack, type Counters, PROXY_KEY, type RedisMonitor } from "./stack.ts";
import { deliverOnce, stripeSpec } from "./webhooks.ts";

export type RedisCommandsPerRequest = Record<string, ReturnType<typeof perRequest>>;

export async function countRoundTrips(stack: BenchStack, load: LoadProcess, plan: Plan) {
  const duplicate = stripeEvent();
  await deliverOnce(stack, load, duplicate);
  const chat = `${stack.worker.url}/v1/chat/completions`;
  const paths: Record<string, RequestSpec> = {
    ai_proxy_nonstream: chatSpec(chat, PROXY_KEY, false),
    ai_proxy_stream: chatSpec(chat, PROXY_KEY, true),
    stripe_new: stripeSpec(stack),
    stripe_duplicate: stripeSpec(stack, duplicate),
    health: { url: `${stack.worker.url}/health`, method: "GET" },
  };
  // First requests load Lua scripts and build per-isolate clients: not what a request costs.
  const warm = await load.run({ kind: "probe", targets: paths, requests: 0, warmup: 3 });
  for (const [path, samples] of Object.entries(warm)) expectStatus(path, samples.statuses);
  await settle();

  const commands: RedisCommandsPerRequest = {};
  const redisRoundTrips: Record<string, number> = {};
  const postgresRoundTrips: Record<string, number> = {};
  const monitor = await stack.monitor();
  try {
    for (const [path, spec] of Object.entries(paths)) {
      const before = { ...(await stack.counters()), ...monitor.counts() };
      const result = await load.run({
        kind: "probe",
        targets: { [path]: spec },
        requests: plan.counted,
        warmup: 0,
      });
      expectStatus(path, result[path]!.statuses);
      await settle();
      const after = { ...(await stack.counters()), ...monitor.counts() };
      commands[path] = perRequest(before, after, plan.counted);
      redisRoundTrips[path] = (after.redisRoundTrips - before.redisRoundTrips) / plan.counted;
      postgresRoundTrips[path] =
        (after.postgresRoundTrips - before.postgresRoundTrips) / plan.counted;
    }
  } finally {
    monitor.stop();
  }
  return {
    redis_commands_per_request: commands,
    redis_round_trips_per_request: redisRoundTrips,
    postgres_round_trips_per_request: postgresRoundTrips,
  };
}

type Snapshot = Counters & ReturnType<RedisMonitor["counts"]>;

/** Commands sent by the function, run by Redis (scripts' own included), and run by name. */
function perRequest(before: Snapshot, after: Snapshot, requests: number) {
  const by_command: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after.commands)) {
    const delta = calls - (before.commands[name] ?? 0);
    if (delta > 0) by_command[name] = delta / requests;
  }
  return {
    sent: (after.sent - before.sent) / requests,
    run: Object.values(by_command).reduce((sum, n) => sum + n, 0),
    by_command,
  };
}
