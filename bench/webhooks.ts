// Stripe deliveries end to end (signature, Redis claim, the SQL function through PostgREST): a
// new event, and a duplicate of one already applied, which Redis answers without Postgres.
import type { LoadProcess } from "./load/index.ts";
import type { RequestSpec } from "./load/jobs.ts";
import { stripeEvent } from "./load/stripe.ts";
import { expectStatus, measurePaths, owed, settle } from "./measure.ts";
import type { Plan } from "./plan.ts";
import type { RedisCommandsPerRequest } from "./round-trips.ts";
import { type BenchStack, STRIPE_SECRET } from "./stack.ts";

/** A new event each time, or always `payload` (signed afresh each time, as Stripe's retries are). */
export function stripeSpec(stack: BenchStack, payload?: string): RequestSpec {
  return {
    url: `${stack.worker.url}/webhooks/stripe`,
    method: "POST",
    stripe: { secret: STRIPE_SECRET, ...(payload ? { payload } : {}) },
  };
}

/** Delivers `payload` once and waits for its claim's done marker (written after the response). */
export async function deliverOnce(stack: BenchStack, load: LoadProcess, payload: string) {
  const first = await load.run({
    kind: "probe",
    targets: { first: stripeSpec(stack, payload) },
    requests: 1,
    warmup: 0,
  });
  expectStatus("first delivery of the duplicate", first.first!.statuses);
  await settle();
}

export async function benchWebhooks(
  stack: BenchStack,
  load: LoadProcess,
  plan: Plan,
  commands: RedisCommandsPerRequest,
) {
  const duplicate = stripeEvent();
  await deliverOnce(stack, load, duplicate);
  const before = await stack.webhookEvents();
  const { figures, answered, repeated } = await measurePaths(stack, load, plan, {
    specs: { stripe_new: stripeSpec(stack), stripe_duplicate: stripeSpec(stack, duplicate) },
    probe: plan.webhooks,
    metric: "total",
    workers: { stripe_new: stack.worker, stripe_duplicate: stack.worker },
    redisCommands: {
      stripe_new: owed(commands.stripe_new!.run),
      stripe_duplicate: owed(commands.stripe_duplicate!.run),
    },
  });
  await settle();
  const recorded = (await stack.webhookEvents()) - before;
  // Every acknowledged event recorded, once; each load run (every round, repeated ones too) may
  // stop with a delivery in flight on each connection, applied after its answer was dropped.
  const inFlight = plan.connections * (plan.rounds + repeated);
  if (recorded < answered.stripe_new || recorded > answered.stripe_new + inFlight) {
    throw new Error(`${answered.stripe_new} new events acknowledged, ${recorded} recorded`);
  }
  return { ...figures, runs_repeated_after_redis_fallback: repeated };
}
