import { createHmac } from "node:crypto";
import Stripe from "stripe";
import twilio from "twilio";
import { PROXY_KEY } from "../e2e/ai-stack.ts";
import { PUBLIC_BASE_URL, STRIPE_SECRET, TWILIO_TOKEN } from "../e2e/webhook-stack.ts";
import { FUZZ_SOURCES } from "./events.ts";

/** One credential the worker holds, and the binding it came from. */
export interface Secret {
  name: string;
  value: string;
}

/** What the fuzz cases need to know about the running worker. */
export interface FuzzTarget {
  origin: string;
  /** Every configured secret, read from the bindings the worker was actually given. */
  secrets: Secret[];
  proxyKey: string;
  /** A SERVICE_API_KEYS key (the outbound functions and the events API). */
  serviceKey: string;
  cronSecret: string;
  adminKey: string;
  /** The Stripe secrets in force (a rotation: both verify). */
  stripeSecrets: string[];
  /** The Twilio tokens in force (primary and secondary). */
  twilioTokens: string[];
  publicBaseUrl: string;
}

const FUZZ_CRON_SECRET = `cron-fuzz-${crypto.randomUUID()}`;
const FUZZ_ADMIN_KEY = `admin-fuzz-${crypto.randomUUID()}`;
const OLD_STRIPE_SECRET = "whsec_fuzz_b2xkLXNlY3JldC1zdGlsbC12YWxpZA";
const SECONDARY_TWILIO_TOKEN = "fuzz-twilio-secondary-token-0123456789";

/**
 * Bindings on top of the e2e AI stack's: a cron secret and an admin key (so /health/cron and
 * /admin/keys are reachable past their guards), a Stripe rotation and a secondary Twilio token
 * (so the many-keys paths are fuzzed too), and a request limit no run reaches (else a long run
 * would mostly fuzz the 429).
 */
export const FUZZ_BINDINGS: Record<string, string> = {
  CRON_SECRET: FUZZ_CRON_SECRET,
  ADMIN_API_KEY: FUZZ_ADMIN_KEY,
  // Direct provider:model names are fuzzed too (model-name checks before any URL is built).
  AI_ALLOW_DIRECT_MODELS: "true",
  STATUS_PASSWORD: `status-fuzz-${crypto.randomUUID()}`,
  STRIPE_WEBHOOK_SECRET: `${STRIPE_SECRET},${OLD_STRIPE_SECRET}`,
  TWILIO_AUTH_TOKEN_SECONDARY: SECONDARY_TWILIO_TOKEN,
  AI_REQUESTS_PER_MINUTE: "1000000",
  SERVICE_API_KEYS: `svc-fuzz-${crypto.randomUUID()}`,
  WEBHOOK_SOURCES: JSON.stringify(FUZZ_SOURCES),
};

// Binding names that hold credentials: *_SECRET, *_TOKEN, *_KEY(S), *_TOKEN_SECONDARY, *_PASSWORD.
const SECRET_NAME = /(?:SECRET|TOKEN|_KEYS?|TOKEN_SECONDARY|PASSWORD)$/;

/** Every credential among `bindings`, comma-separated lists split. */
export function secretsIn(bindings: Record<string, string>): Secret[] {
  return Object.entries(bindings)
    .filter(([name]) => SECRET_NAME.test(name))
    .flatMap(([name, list]) => list.split(",").map((value) => ({ name, value: value.trim() })))
    .filter(({ value }) => value.length >= 8);
}

export function fuzzTarget(origin: string, bindings: Record<string, string>): FuzzTarget {
  const list = (name: string) =>
    (bindings[name] ?? "")
      .split(",")
      .map((v) => v.trim())
      .filter(Boolean);
  // WEBHOOK_SOURCES holds secrets too, inside its JSON.
  const sources = Object.values(FUZZ_SOURCES).flatMap((source) =>
    source.secrets.map((value) => ({ name: "WEBHOOK_SOURCES", value })),
  );
  const target: FuzzTarget = {
    origin,
    secrets: [...secretsIn(bindings), ...sources],
    proxyKey: list("PROXY_API_KEYS")[0] ?? PROXY_KEY,
    serviceKey: list("SERVICE_API_KEYS")[0]!,
    cronSecret: bindings.CRON_SECRET ?? FUZZ_CRON_SECRET,
    adminKey: bindings.ADMIN_API_KEY ?? FUZZ_ADMIN_KEY,
    stripeSecrets: list("STRIPE_WEBHOOK_SECRET"),
    twilioTokens: [...list("TWILIO_AUTH_TOKEN"), ...list("TWILIO_AUTH_TOKEN_SECONDARY")],
    publicBaseUrl: bindings.PUBLIC_BASE_URL ?? PUBLIC_BASE_URL,
  };
  // The suite is only meaningful if it knows what it must never see.
  const collected = new Set(target.secrets.map((s) => s.value));
  for (const required of [
    target.proxyKey,
    target.serviceKey,
    target.cronSecret,
    target.adminKey,
    ...target.stripeSecrets,
  ]) {
    if (!collected.has(required)) throw new Error("a configured secret was not collected");
  }
  if (target.twilioTokens[0] !== TWILIO_TOKEN) throw new Error("unexpected Twilio token");
  return target;
}

const stripe = new Stripe("sk_test_fuzz");
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Stripe's v1 HMAC of `${t}.` + the raw body, hex: what a Stripe-Signature must carry. */
export function stripeV1(secret: string, timestamp: number | string, body: Uint8Array): string {
  return createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest("hex");
}

/**
 * A Stripe-Signature for `body` from Stripe's own SDK (the oracle). The SDK signs strings only, so
 * a body that is not UTF-8 is signed over its raw bytes with the same HMAC.
 */
export async function stripeHeader(
  secret: string,
  body: Uint8Array,
  timestamp: number,
): Promise<string> {
  let payload: string | undefined;
  try {
    payload = utf8.decode(body);
  } catch {
    payload = undefined;
  }
  // The SDK reads a timestamp of 0 as "now"; only a positive one is passed through.
  if (payload !== undefined && timestamp > 0) {
    return stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp });
  }
  return `t=${timestamp},v1=${stripeV1(secret, timestamp, body)}`;
}

/** The form parameters as the worker reads them: UTF-8 with replacement, repeated names kept. */
export function twilioParams(body: Uint8Array): Record<string, string[]> {
  // No prototype: a parameter named __proto__ is a parameter like any other.
  const params = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of new URLSearchParams(new TextDecoder().decode(body))) {
    (params[name] ??= []).push(value);
  }
  return params;
}

/** X-Twilio-Signature from Twilio's own SDK over the public URL and the parameters. */
export function twilioSignature(token: string, url: string, params: Record<string, string[]>) {
  return twilio.getExpectedTwilioSignature(token, url, params);
}
