import { Hono } from "hono";
import { parseJson, readBody, requireContentType } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { AppError } from "../../shared/http/errors.ts";
import { deliver, type Dedupe } from "../../shared/webhooks/deliver.ts";
import { verifyGithubSignature } from "../../shared/webhooks/github-signature.ts";
import { verifyStandardWebhook } from "../../shared/webhooks/standard-signature.ts";
import type { EventsEnv, InboundSource } from "./types.ts";

/** Larger deliveries are refused before they are buffered whole (GitHub's largest are rare). */
export const MAX_INBOUND_BYTES = 1024 * 1024;

type Verified = { ok: true; id: string; type: string | undefined } | { ok: false; reason: string };

/** Verifies one delivery by its source's scheme, on the raw bytes, before anything is parsed. */
async function verify(
  source: InboundSource,
  headers: Headers,
  body: Uint8Array,
): Promise<Verified> {
  if (source.scheme === "github") {
    const result = await verifyGithubSignature({
      header: headers.get("x-hub-signature-256"),
      body,
      secrets: source.secrets,
    });
    if (!result.ok) return result;
    const id = headers.get("x-github-delivery");
    const type = headers.get("x-github-event");
    if (!id || !type) return { ok: false, reason: "missing_delivery_headers" };
    return { ok: true, id, type };
  }
  const id = headers.get("webhook-id");
  const result = await verifyStandardWebhook({
    headers: {
      id,
      timestamp: headers.get("webhook-timestamp"),
      signature: headers.get("webhook-signature"),
    },
    body,
    secrets: source.secrets,
  });
  return result.ok ? { ok: true, id: id!, type: undefined } : result;
}

const eventTypeOf = (payload: unknown) => {
  const type = (payload as { type?: unknown } | null)?.type;
  return typeof type === "string" ? type : "";
};

/**
 * POST /webhooks/in/{source}: a delivery from a sender configured in WEBHOOK_SOURCES, verified
 * (Standard Webhooks or GitHub), then stored exactly once in webhook_events with the Stripe
 * receiver's claim semantics: concurrent duplicates 409, a redelivery 200 `duplicate: true`,
 * 503 when it cannot be stored. The product consumes the stored rows (docs/events.md).
 */
export function inboundRoutes() {
  const app = new Hono<EventsEnv>();
  app.post("/webhooks/in/:source", async (c) => {
    const started = Date.now();
    const deps = c.get("deps");
    const name = c.req.param("source");
    const source = deps.sources.get(name);
    if (!source) {
      throw new AppError({
        status: 404,
        code: "unknown_source",
        category: "not_found",
        message: "No webhook source by this name",
      });
    }
    requireContentType(c.req.raw, ["application/json"]);
    const body = await readBody(c.req.raw, MAX_INBOUND_BYTES);
    const verified = await verify(source, c.req.raw.headers, body);
    if (!verified.ok) {
      c.get("log").warn("webhook rejected", { provider: name, verification: verified.reason });
      throw new AppError({
        status: 400,
        code: "invalid_signature",
        category: "authentication",
        message: "The webhook signature does not verify",
        details: { reason: verified.reason },
      });
    }
    const payload = parseJson(body);
    const type = verified.type ?? eventTypeOf(payload);
    let dedupe: Dedupe = "in_flight";
    try {
      ({ dedupe } = await deliver(
        { claims: deps.claims, breaker: deps.dbBreaker, defer: deferFor(c) },
        `${name}:${verified.id}`,
        (signal) =>
          deps.db
            .rpc("webhook_record_inbound", {
              source: name,
              event_id: verified.id,
              event_type: type,
              payload,
            })
            .abortSignal(signal),
      ));
    } finally {
      c.get("log").info("webhook delivery", {
        provider: name,
        eventId: verified.id,
        type,
        verification: "ok",
        dedupe,
        latencyMs: Date.now() - started,
      });
    }
    return c.json({ received: true, duplicate: dedupe === "duplicate" });
  });
  return app;
}
