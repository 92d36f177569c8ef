// What the platform tests send through a built function: its environment (this run's real
// PostgreSQL and Redis, behind the same gateways the functions reach Supabase and Upstash by)
// and deliveries signed the way Stripe and Twilio sign them.
import twilio from "twilio";
import { inject } from "vitest";
import { STRIPE_SECRET, TWILIO_TOKEN, signStripe, stripeEvent } from "../e2e/webhook-stack.ts";

export const CRON_SECRET = `cron-${crypto.randomUUID()}`;

/** Every variable any function needs, as a platform would hold them for one deployment. */
export function deploymentEnv(publicBaseUrl: string): Record<string, string> {
  const supabase = inject("supabase");
  const upstash = inject("upstash");
  return {
    SUPABASE_URL: supabase.url,
    SUPABASE_SERVICE_ROLE_KEY: supabase.serviceRoleKey,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    // One deployment's keys, apart from every other test's.
    STATE_KEY_PREFIX: `deploy-${crypto.randomUUID()}:`,
    LOG_LEVEL: "error",
    CRON_SECRET,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    STRIPE_MODE: "test",
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    PUBLIC_BASE_URL: publicBaseUrl,
    // The outbound functions' vendors: nothing is sent to them by the platform tests.
    TWILIO_ACCOUNT_SID: "AC0123456789abcdef0123456789abcdef",
    TWILIO_FROM: "+15005550006",
    STRIPE_SECRET_KEY: "sk_test_platform_tests",
  };
}

/** A new Stripe event, signed by Stripe's SDK: the same request can be sent twice. */
export async function stripeDelivery(): Promise<RequestInit> {
  const payload = JSON.stringify(
    stripeEvent("payment_intent.succeeded", {
      id: `pi_${crypto.randomUUID().replaceAll("-", "")}`,
      object: "payment_intent",
      amount: 1000,
      currency: "usd",
      status: "succeeded",
    }),
  );
  return {
    method: "POST",
    body: payload,
    headers: { "content-type": "application/json", "stripe-signature": await signStripe(payload) },
  };
}

/** A Twilio status callback, signed by Twilio's SDK over the URL Twilio calls (`publicUrl`). */
export function twilioStatusCallback(publicUrl: string): RequestInit {
  const params = {
    MessageSid: `SM${crypto.randomUUID().replaceAll("-", "")}`,
    MessageStatus: "delivered",
    AccountSid: "AC0123456789abcdef0123456789abcdef",
  };
  return {
    method: "POST",
    body: new URLSearchParams(params).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": twilio.getExpectedTwilioSignature(TWILIO_TOKEN, publicUrl, params),
    },
  };
}
