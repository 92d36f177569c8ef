import { createHmac } from "node:crypto";

/** A `payment_intent.succeeded` event as Stripe sends it, with new event and object ids. */
export function stripeEvent(): string {
  const id = crypto.randomUUID().replaceAll("-", "");
  return JSON.stringify({
    id: `evt_bench_${id}`,
    object: "event",
    api_version: "2025-10-29.clover",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: "payment_intent.succeeded",
    data: {
      object: {
        id: `pi_bench_${id}`,
        object: "payment_intent",
        amount: 1000,
        currency: "usd",
        status: "succeeded",
      },
    },
  });
}

/**
 * `Stripe-Signature` for `payload` signed now: Stripe's v1 scheme, HMAC-SHA256 of
 * `<timestamp>.<payload>` keyed by the whole `whsec_…` secret. Node's HMAC rather than Stripe's
 * SDK: the load process signs every request synchronously, inside autocannon's request setup.
 */
export function stripeSignature(payload: string, secret: string): string {
  const timestamp = Math.floor(Date.now() / 1000);
  const v1 = createHmac("sha256", secret).update(`${timestamp}.${payload}`).digest("hex");
  return `t=${timestamp},v1=${v1}`;
}
