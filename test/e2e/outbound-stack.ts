import { SignJWT } from "jose";
import { inject } from "vitest";
import { type StripeFake, STRIPE_FAKE_KEY, startStripeFake } from "../mocks/stripe-api.ts";
import {
  type TwilioFake,
  TWILIO_FAKE_ACCOUNT_SID,
  TWILIO_FAKE_AUTH_TOKEN,
  startTwilioFake,
} from "../mocks/twilio-api.ts";
import { type WebhookStack, post, startWebhookStack } from "./webhook-stack.ts";

export const SERVICE_KEY = "bw-e2e-service-key-0123456789";
export const JWT_SECRET = "e2e-supabase-jwt-secret-with-at-least-32-chars";
export const TWILIO_FROM = "+15005550001";

/** The bindings that point the outbound functions at the fakes (`url`s filled in by the caller). */
export function outboundBindings(twilioUrl: string, stripeUrl: string): Record<string, string> {
  return {
    SERVICE_API_KEYS: SERVICE_KEY,
    SUPABASE_JWT_SECRET: JWT_SECRET,
    TWILIO_ACCOUNT_SID: TWILIO_FAKE_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TWILIO_FAKE_AUTH_TOKEN,
    TWILIO_FROM,
    TWILIO_API_BASE_URL: twilioUrl,
    TWILIO_TIMEOUT_MS: "1500",
    STRIPE_SECRET_KEY: STRIPE_FAKE_KEY,
    STRIPE_API_BASE_URL: stripeUrl,
    STRIPE_TIMEOUT_MS: "1000",
  };
}

export interface OutboundStack extends WebhookStack {
  twilio: TwilioFake;
  stripe: StripeFake;
  /** POSTs JSON to the worker with `Authorization: Bearer <token>` (the service key by default). */
  call(
    path: string,
    body: unknown,
    options?: { token?: string | null; headers?: Record<string, string> },
  ): Promise<Response>;
}

/**
 * The all-in-one worker in workerd (real Redis and PostgreSQL, as for the webhooks) with Twilio and
 * Stripe pointed at their fakes, short vendor timeouts so a hang is answered in a test's time.
 */
export async function startOutboundStack(
  options: { bindings?: Record<string, string>; stripeLatencyMs?: number } = {},
): Promise<OutboundStack> {
  const [twilio, stripe] = await Promise.all([
    startTwilioFake(),
    startStripeFake(options.stripeLatencyMs ? { latencyMs: options.stripeLatencyMs } : {}),
  ]);
  const stack = await startWebhookStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
    bindings: { ...outboundBindings(twilio.url, stripe.url), ...options.bindings },
  });
  return {
    ...stack,
    twilio,
    stripe,
    call: (path, body, { token = SERVICE_KEY, headers = {} } = {}) =>
      post(`${stack.worker.url}${path}`, typeof body === "string" ? body : JSON.stringify(body), {
        "content-type": "application/json",
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...headers,
      }),
    async close() {
      await stack.close();
      await Promise.all([twilio.close(), stripe.close()]);
    },
  };
}

/** A Supabase access token as Supabase Auth issues it (HS256), with `claims` over the defaults. */
export function userToken(
  claims: Record<string, unknown> = {},
  options: { secret?: string; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT({ role: "authenticated", aal: "aal1", is_anonymous: false, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(claims.sub ?? crypto.randomUUID()))
    .setAudience(String(claims.aud ?? "authenticated"))
    .setIssuer("https://project-ref.supabase.co/auth/v1")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "1h")
    .sign(new TextEncoder().encode(options.secret ?? JWT_SECRET));
}

/** Polls `read` until it returns something (a row written after the response), or gives up. */
export async function eventually<T>(read: () => Promise<T | undefined>, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}
