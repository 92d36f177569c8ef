import { Hono } from "hono";
import { parseJson, readBody, requireContentType } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { withDeps } from "../../shared/http/deps.ts";
import { AppError } from "../../shared/http/errors.ts";
import { hourlyCounters } from "../../shared/telemetry/counters.ts";
import { countWebhooks } from "../../shared/telemetry/webhook-counts.ts";
import { deliver, type Dedupe } from "../../shared/webhooks/deliver.ts";
import { verifyStripeSignature } from "../../shared/webhooks/stripe-signature.ts";
import type { StripeWebhookDeps, StripeWebhookEnv } from "./types.ts";

/** Stripe's events are far smaller; anything larger is refused before it is buffered whole. */
export const MAX_BODY_BYTES = 1024 * 1024;

interface StripeEvent {
  id: string;
  type: string;
  [field: string]: unknown;
}

function parseEvent(body: Uint8Array): StripeEvent {
  const event = parseJson(body);
  if (
    typeof event !== "object" ||
    event === null ||
    typeof (event as StripeEvent).id !== "string" ||
    typeof (event as StripeEvent).type !== "string"
  ) {
    throw new AppError({
      status: 400,
      code: "invalid_event",
      category: "validation",
      message: "The event must be a JSON object with string `id` and `type`",
    });
  }
  return event as StripeEvent;
}

/**
 * POST /webhooks/stripe: the signature is verified on the raw bytes before anything else (no
 * parse, no Redis, no Postgres), then the event is recorded and applied exactly once.
 */
export function createStripeWebhookApp(depsFor: (env: object) => StripeWebhookDeps) {
  const app = new Hono<StripeWebhookEnv>();
  app.use("/webhooks/stripe/*", withDeps(depsFor));
  app.use("/webhooks/stripe", countWebhooks("stripe", hourlyCounters));
  app.post("/webhooks/stripe", async (c) => {
    const started = Date.now();
    const deps = c.get("deps");
    requireContentType(c.req.raw, ["application/json"]);
    const body = await readBody(c.req.raw, MAX_BODY_BYTES);
    const verification = await verifyStripeSignature({
      header: c.req.header("stripe-signature"),
      body,
      secrets: deps.secrets,
      toleranceSec: deps.toleranceSec,
      now: started,
    });
    if (!verification.ok) {
      c.get("log").warn("webhook rejected", {
        provider: "stripe",
        verification: verification.reason,
      });
      throw new AppError({
        status: 400,
        code: "invalid_signature",
        category: "authentication",
        message: "The Stripe-Signature header does not verify",
        details: { reason: verification.reason },
      });
    }
    const event = parseEvent(body);
    let dedupe: Dedupe = "in_flight";
    let outcome: string | undefined;
    try {
      const delivered = await deliver(
        { claims: deps.claims, breaker: deps.dbBreaker, defer: deferFor(c), trace: c.get("trace") },
        `stripe:${event.id}`,
        (signal) =>
          deps.db
            .rpc("stripe_apply_event", {
              event,
              livemode: deps.livemode ?? event.livemode === true,
            })
            .abortSignal(signal),
      );
      dedupe = delivered.dedupe;
      outcome = (delivered.result as { outcome?: string } | undefined)?.outcome;
    } finally {
      // One line per delivery: ids and results only, never the payload (it carries PII).
      c.get("log").info("webhook delivery", {
        provider: "stripe",
        eventId: event.id,
        type: event.type,
        verification: "ok",
        dedupe,
        outcome,
        latencyMs: Date.now() - started,
      });
    }
    if (outcome === "ignored" && deps.livemode !== undefined && event.livemode !== deps.livemode) {
      c.get("log").warn("stripe event of the other mode acknowledged without effect", {
        eventId: event.id,
      });
    }
    c.set("webhookDuplicate", dedupe === "duplicate");
    return c.json({ received: true, duplicate: dedupe === "duplicate" });
  });
  return app;
}
