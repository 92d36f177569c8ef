import { createHmac } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import type { Endpoint } from "./endpoints.ts";
import { bodies } from "./requests.ts";
import { field, nastyString, tiered } from "./values.ts";

// The events function's endpoints, fuzzed like the others: the outbound API behind a service
// key, the cron behind CRON_SECRET, and inbound senders behind Standard Webhooks and GitHub
// signatures. Fuzzed endpoints subscribe only to patterns no fuzzed event type matches, so the
// run sends no webhook anywhere (and opens no breaker the suite would then wait out).

const EVENT_TYPES = ["fuzz.created", "fuzz.updated", "fuzz.a.b.c", "fuzz:x_y-z"];
const PATTERNS = ["other.*", "fuzz", "audit.log.*", "other.thing"];
const URLS = [
  "https://hooks.invalid/in",
  "https://hooks.invalid:8443/a?b=c",
  "https://[2001:db8::1]/in",
];
const UNSAFE_URLS = [
  "http://hooks.invalid/in",
  "https://169.254.169.254/",
  "https://2130706433/",
  "https://[::ffff:127.0.0.1]/",
  "https://localhost/",
  "https://u:p@hooks.invalid/",
];

function endpointRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  return fc.record(
    {
      url: f(fc.oneof(fc.constantFrom(...URLS), fc.constantFrom(...UNSAFE_URLS), nastyString)),
      events: f(
        fc.array(fc.oneof(fc.constantFrom(...PATTERNS), nastyString), {
          minLength: 1,
          maxLength: 4,
        }),
      ),
      description: f(fc.string({ maxLength: 100 })),
    },
    { requiredKeys: ["url", "events"] },
  );
}

function eventRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  return fc.record(
    {
      type: f(fc.constantFrom(...EVENT_TYPES)),
      data: f(fc.jsonValue({ maxDepth: 3 })),
      id: f(fc.uuid().map((u) => `evt_fuzz_${u}`)),
    },
    { requiredKeys: ["type", "data"] },
  );
}

/** What a Standard Webhooks or GitHub sender posts: an object with a type, mostly. */
const inboundPayload = (w: number) =>
  fc.record({
    type: field(fc.constantFrom(...EVENT_TYPES), w),
    data: field(fc.jsonValue({ maxDepth: 3 }), w),
  });

const anyBody = bodies(fc.jsonValue({ maxDepth: 2 }), 64 * 1024);
const KiB = 1024;

export const EVENTS_ENDPOINTS: Endpoint[] = [
  {
    name: "POST /webhook-endpoints",
    method: "POST",
    path: "/webhook-endpoints",
    guard: "service-key",
    body: bodies(tiered(endpointRequest), 16 * KiB),
    limit: 16 * KiB,
  },
  {
    name: "GET /webhook-endpoints",
    method: "GET",
    path: "/webhook-endpoints",
    guard: "service-key",
    body: anyBody,
  },
  {
    name: "POST /webhook-endpoints/{id}/rotate-secret",
    method: "POST",
    path: "/webhook-endpoints/00000000-0000-4000-8000-000000000000/rotate-secret",
    guard: "service-key",
    body: anyBody,
  },
  {
    name: "POST /events",
    method: "POST",
    path: "/events",
    guard: "service-key",
    body: bodies(tiered(eventRequest), 256 * KiB),
    limit: 256 * KiB,
  },
  {
    name: "GET /events/{id}",
    method: "GET",
    path: "/events/evt_fuzz_unknown",
    guard: "service-key",
    body: anyBody,
  },
  {
    name: "POST /events/{id}/replay",
    method: "POST",
    path: "/events/evt_fuzz_unknown/replay",
    guard: "service-key",
    body: bodies(fc.record({ endpoint_id: field(fc.uuid()) }), KiB),
    limit: KiB,
  },
  {
    name: "GET /events/cron",
    method: "GET",
    path: "/events/cron",
    guard: "cron-secret",
    body: anyBody,
  },
  {
    name: "POST /webhooks/in/{standard source}",
    method: "POST",
    path: "/webhooks/in/fuzzstd",
    guard: "standard",
    body: bodies(tiered(inboundPayload), 1024 * KiB),
    limit: 1024 * KiB,
  },
  {
    name: "POST /webhooks/in/{github source}",
    method: "POST",
    path: "/webhooks/in/fuzzgh",
    guard: "github",
    body: bodies(tiered(inboundPayload), 1024 * KiB),
    limit: 1024 * KiB,
  },
];

const STANDARD_SECRET = "whsec_ZnV6ei1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQtMDEyMzQ1Ng==";
const STANDARD_OLD_SECRET = "whsec_ZnV6ei1vbGQtc3RhbmRhcmQtc2VjcmV0LTAxMjM0NTY3ODk=";
const GITHUB_SECRET = "fuzz-github-webhook-secret-0123456789";

/** The sources the fuzzed worker is given (WEBHOOK_SOURCES), each with a rotation. */
export const FUZZ_SOURCES = {
  fuzzstd: { scheme: "standard", secrets: [STANDARD_SECRET, STANDARD_OLD_SECRET] },
  fuzzgh: { scheme: "github", secrets: [GITHUB_SECRET, `${GITHUB_SECRET}-old`] },
};

/** Spellings of an inbound signature: 0 right, the others deliberately wrong or odd. */
export const INBOUND_FORMS = 6;

const githubSignature = (secret: string, body: Uint8Array) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

/**
 * The signature headers of an inbound case, signed now (skewed by `skew` seconds) with configured
 * secret `key`, in spelling `form`; and every signature of this body the answer must not echo.
 */
export function inboundHeaders(
  sig: { key: number; form: number; skew: number },
  guard: "standard" | "github",
  body: Uint8Array,
): { headers: [string, string][]; forbidden: string[] } {
  const id = `msg_fuzz_${crypto.randomUUID()}`;
  if (guard === "github") {
    const secrets = FUZZ_SOURCES.fuzzgh.secrets;
    const good = githubSignature(secrets[sig.key] ?? secrets[0]!, body);
    const value = [
      good,
      good.toUpperCase(),
      good.replace("sha256=", "sha1="),
      githubSignature("other", body),
      `${good} `,
      good,
    ][sig.form]!;
    const headers: [string, string][] = [
      ["x-hub-signature-256", value],
      ["x-github-event", "push"],
    ];
    if (sig.form !== 5) headers.push(["x-github-delivery", id]);
    return { headers, forbidden: secrets.map((s) => githubSignature(s, body).slice(7)) };
  }
  const secrets = FUZZ_SOURCES.fuzzstd.secrets;
  const at = new Date(Date.now() + sig.skew * 1000);
  const sign = (secret: string) => new Webhook(secret).sign(id, at, body);
  const good = sign(secrets[sig.key] ?? secrets[0]!);
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const signature = [
    good,
    `v1a,${good.slice(3)}`,
    `v2,x ${good}`,
    sign(STANDARD_OLD_SECRET.replace("Z", "Y")),
    good.replace("v1,", "v1, "),
    good,
  ][sig.form]!;
  const headers: [string, string][] = [
    ["webhook-id", sig.form === 5 ? `${id}.1` : id],
    ["webhook-timestamp", sig.form === 5 ? `0${timestamp}` : timestamp],
    ["webhook-signature", signature],
  ];
  return { headers, forbidden: secrets.map((s) => sign(s).slice(3)) };
}
