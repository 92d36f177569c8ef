import { createHash } from "node:crypto";
import fc from "fast-check";
import { getPath } from "hono/utils/url";
import type { Endpoint, Guard } from "./endpoints.ts";
import { INBOUND_FORMS, inboundHeaders } from "./events.ts";
import type { WireRequest } from "./http.ts";
import {
  type Body,
  type ContentType,
  contentType,
  contentTypeLines,
  extraHeaders,
  framing,
  headerValue,
  method,
  pathSuffix,
  queryString,
  requestIds,
} from "./requests.ts";
import { type FuzzTarget, stripeHeader, stripeV1, twilioParams, twilioSignature } from "./stack.ts";

// One fuzz case: everything about a request that fast-check chooses. Signatures are made when the
// request is sent (Stripe's cover the current time; Twilio's the URL the worker will see), so a
// case holds only how to sign, and `prepare` turns it into bytes on the wire.

export type Auth =
  | { kind: "none" }
  /** The endpoint's key (proxy key, cron secret) in one of several spellings. */
  | { kind: "valid"; form: number }
  | { kind: "lines"; values: string[] };

export type Signature =
  | { kind: "none" }
  | { kind: "lines"; values: string[] }
  /**
   * Signed with configured key `key` (0 primary, 1 the rotation's other), spelled per `form`
   * (some forms are deliberately wrong), `skew` seconds off now (Stripe); for a Twilio JSON body,
   * `bodyHash` says what the URL's bodySHA256 holds.
   */
  | {
      kind: "valid";
      key: number;
      form: number;
      skew: number;
      bodyHash: "correct" | "wrong" | "absent";
    };

export interface FuzzCase {
  method: string;
  suffix: string;
  query: string;
  contentType: ContentType;
  auth: Auth;
  signature: Signature;
  requestIds: string[];
  extra: [string, string][];
  body: Body;
  framing: WireRequest["framing"];
}

const AUTH_FORMS = 7;
const randomAuth = fc
  .array(
    fc.oneof(
      headerValue,
      headerValue.map((v) => `Bearer ${v}`),
      fc.constantFrom(
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer null",
        "Token abc",
        "bearer\tx y",
      ),
    ),
    { minLength: 1, maxLength: 2 },
  )
  .map((values) => ({ kind: "lines" as const, values }));

function auth(guard: Guard): fc.Arbitrary<Auth> {
  // A valid key often enough that the handlers behind the guard get most of the cases.
  const valid =
    guard === "proxy-key" || guard === "service-key"
      ? 16
      : guard === "cron-secret" || guard === "admin-key"
        ? 4
        : 1;
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: "none" as const }) },
    {
      weight: valid,
      arbitrary: fc.oneof(
        { weight: 10, arbitrary: fc.constant({ kind: "valid" as const, form: 0 }) },
        {
          weight: 2,
          arbitrary: fc
            .integer({ min: 1, max: AUTH_FORMS - 1 })
            .map((form) => ({ kind: "valid" as const, form })),
        },
      ),
    },
    { weight: 2, arbitrary: randomAuth },
  );
}

const STRIPE_FORMS = 11;
const TWILIO_FORMS = 6;

function signature(guard: Guard): fc.Arbitrary<Signature> {
  const garbage = fc
    .array(
      fc.oneof(
        headerValue,
        fc.constantFrom(
          "t=,v1=",
          "t=1,v1=00",
          "v1=abc",
          "t=1e3,v1=" + "0".repeat(64),
          "t=-1,v1=" + "0".repeat(64),
          "t=99999999999999999999,v1=" + "f".repeat(64),
          ",,,",
          "t",
          "=",
        ),
        fc.stringMatching(/^[A-Za-z0-9+/]{27}=$/),
      ),
      { minLength: 1, maxLength: 2 },
    )
    .map((values) => ({ kind: "lines" as const, values }));
  if (
    guard === "proxy-key" ||
    guard === "service-key" ||
    guard === "cron-secret" ||
    guard === "none"
  ) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant({ kind: "none" as const }) },
      { weight: 1, arbitrary: garbage },
    );
  }
  const forms =
    guard === "stripe" ? STRIPE_FORMS : guard === "twilio" ? TWILIO_FORMS : INBOUND_FORMS;
  const valid = fc.record({
    kind: fc.constant("valid" as const),
    key: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constant(1) },
    ),
    form: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: forms - 1 }) },
    ),
    skew: fc.oneof(
      { weight: 8, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.constantFrom(-301, -299, 299, 301, -86_400, 1_000_000) },
    ),
    bodyHash: fc.oneof(
      { weight: 6, arbitrary: fc.constant("correct" as const) },
      { weight: 1, arbitrary: fc.constantFrom("wrong" as const, "absent" as const) },
    ),
  });
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant({ kind: "none" as const }) },
    { weight: 10, arbitrary: valid },
    { weight: 3, arbitrary: garbage },
  );
}

/**
 * A case for `endpoint`. Path suffixes (`/`, dot segments, encodings) go to their own property:
 * a routing bug there would otherwise be the first failure of every endpoint and hide the rest.
 */
export function fuzzCase(endpoint: Endpoint, options: { suffix: boolean }): fc.Arbitrary<FuzzCase> {
  return fc.record({
    method: method(endpoint.method),
    suffix: options.suffix ? pathSuffix : fc.constant(""),
    query: queryString,
    contentType,
    auth: auth(endpoint.guard),
    signature: signature(endpoint.guard),
    requestIds,
    extra: extraHeaders,
    body: endpoint.body,
    framing,
  });
}

/** A case ready to send, and what its answer must never contain. */
export interface Prepared {
  wire: WireRequest;
  /** Expected signatures of this request (Stripe's v1, Twilio's): never to be echoed. */
  forbidden: string[];
  /** The path the worker routes on (decoded as Hono decodes it). */
  path: string;
}

const sha256Hex = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");
const mediaType = (lines: string[]) => (lines.join(", ").split(";")[0] ?? "").trim().toLowerCase();

function authLines(auth: Auth, key: string): string[] {
  if (auth.kind === "none") return [];
  if (auth.kind === "lines") return auth.values;
  const forms = [
    `Bearer ${key}`,
    `bearer ${key}`,
    `Bearer   ${key}`,
    `Bearer ${key}\t`,
    `Bearer ${key}x`,
    `Bearer ${key.toUpperCase()}`,
    `Bearer ${key}, Bearer ${key}`,
  ];
  const value = forms[auth.form] ?? forms[0]!;
  // The last form as two header lines, which the worker sees joined with ", ".
  return auth.form === AUTH_FORMS - 1 ? [`Bearer ${key}`, `Bearer ${key}`] : [value];
}

async function stripeLines(
  sig: Extract<Signature, { kind: "valid" }>,
  target: FuzzTarget,
  body: Uint8Array,
): Promise<string[]> {
  const secret = target.stripeSecrets[sig.key] ?? target.stripeSecrets[0]!;
  const t = Math.floor(Date.now() / 1000) + sig.skew;
  const good = await stripeHeader(secret, body, t);
  const v1 = (s: string) => stripeV1(s, t, body);
  const zeros = "0".repeat(64);
  switch (sig.form) {
    case 1:
      return [`t=${t},v1=${zeros},v1=${v1(secret)}`];
    case 2:
      return [`${good},v0=${zeros}`];
    case 3:
      return [`t=${t},${target.stripeSecrets.map((s) => `v1=${v1(s)}`).join(",")}`];
    case 4:
      return [`t=${t},t=${t},v1=${v1(secret)}`];
    case 5:
      return [`t=0${t},v1=${v1(secret)}`];
    case 6:
      return [`t=${t},v1=${v1(secret).toUpperCase()}`];
    case 7:
      return [good, good];
    case 8:
      return [await stripeHeader("whsec_not_configured_0123456789", body, t)];
    case 9:
      return [await stripeHeader(secret, new Uint8Array([...body, 0x20]), t)];
    case 10:
      return [` t=${t}, v1=${v1(secret)}`];
    default:
      return [good];
  }
}

function twilioLines(
  sig: Extract<Signature, { kind: "valid" }>,
  target: FuzzTarget,
  url: string,
  params: Record<string, string[]>,
): string[] {
  const token = target.twilioTokens[sig.key] ?? target.twilioTokens[0]!;
  const good = twilioSignature(token, url, params);
  switch (sig.form) {
    case 1:
      return [twilioSignature(token, url.replace(/^(https:\/\/[^/]+)/, "$1:443"), params)];
    case 2: {
      const other = url.includes("/messages")
        ? url.replace("/messages", "/status")
        : url.replace("/status", "/messages");
      return [twilioSignature(token, other, params)];
    }
    case 3:
      return [twilioSignature("not-a-configured-token-0123456789", url, params)];
    case 4:
      return [good, good];
    case 5:
      return [twilioSignature(token, url, { ...params, Injected: ["1"] })];
    default:
      return [good];
  }
}

/** Turns a case into the exact request to send, signing it for now. */
export async function prepare(
  c: FuzzCase,
  endpoint: Endpoint,
  target: FuzzTarget,
): Promise<Prepared> {
  const body = c.body.bytes;
  const typeLines = contentTypeLines(c.contentType, c.body.natural);
  const json = mediaType(typeLines) === "application/json";
  const twilio = endpoint.guard === "twilio";

  let query = c.query;
  if (twilio && json && c.signature.kind === "valid" && c.signature.bodyHash !== "absent") {
    const hash = c.signature.bodyHash === "correct" ? sha256Hex(body) : sha256Hex("other");
    query = query === "" ? `bodySHA256=${hash}` : `${query}&bodySHA256=${hash}`;
  }
  const requestTarget = `${endpoint.path}${c.suffix}${query === "" ? "" : `?${query}`}`;
  const url = new URL(requestTarget, target.origin);
  const path = getPath(new Request(url));

  // What the worker signs against: the public base, the routed path and the query it received.
  const publicUrl = `${target.publicBaseUrl}${path}${url.search}`;
  // A lying Content-Length leaves the worker half the body: never echo that one's signature either.
  const seen =
    c.framing === "short" ? [body, body.subarray(0, Math.floor(body.length / 2))] : [body];
  const forbidden: string[] = [];
  if (endpoint.guard === "stripe") {
    const now = Math.floor(Date.now() / 1000);
    const times = new Set([now, now + (c.signature.kind === "valid" ? c.signature.skew : 0)]);
    for (const secret of target.stripeSecrets)
      for (const t of times) for (const bytes of seen) forbidden.push(stripeV1(secret, t, bytes));
  }
  if (twilio) {
    for (const token of target.twilioTokens)
      for (const bytes of seen)
        forbidden.push(twilioSignature(token, publicUrl, json ? {} : twilioParams(bytes)));
  }

  const headers: [string, string][] = [];
  for (const value of typeLines) headers.push(["content-type", value]);
  const key =
    {
      "cron-secret": target.cronSecret,
      "service-key": target.serviceKey,
      "admin-key": target.adminKey,
    }[endpoint.guard as string] ?? target.proxyKey;
  for (const value of authLines(c.auth, key)) headers.push(["authorization", value]);
  const signatureHeader =
    { twilio: "x-twilio-signature", standard: "webhook-signature", github: "x-hub-signature-256" }[
      endpoint.guard as string
    ] ?? "stripe-signature";
  if (c.signature.kind === "lines") {
    for (const value of c.signature.values) headers.push([signatureHeader, value]);
  } else if (
    c.signature.kind === "valid" &&
    (endpoint.guard === "standard" || endpoint.guard === "github")
  ) {
    const inbound = inboundHeaders(c.signature, endpoint.guard, body);
    headers.push(...inbound.headers);
    forbidden.push(...inbound.forbidden);
  } else if (c.signature.kind === "valid") {
    const lines =
      endpoint.guard === "stripe"
        ? await stripeLines(c.signature, target, body)
        : twilioLines(c.signature, target, publicUrl, json ? {} : twilioParams(body));
    for (const value of lines) headers.push([signatureHeader, value]);
  }
  for (const id of c.requestIds) headers.push(["x-request-id", id]);
  headers.push(...c.extra);

  return {
    wire: { method: c.method, target: requestTarget, headers, body, framing: c.framing },
    forbidden,
    path,
  };
}

// Reports name the secrets a request carried (a valid proxy key, the cron secret) instead of
// printing them: CI logs are no place for credentials, even a test run's.
let secretsToHide: { name: string; value: string }[] = [];
export function hideInReports(secrets: { name: string; value: string }[]): void {
  secretsToHide = [...secrets].sort((a, b) => b.value.length - a.value.length);
}
const hide = (text: string) =>
  secretsToHide.reduce((out, { name, value }) => out.replaceAll(value, `<${name}>`), text);

export const clip = (text: string, max: number) =>
  text.length <= max ? hide(text) : `${hide(text.slice(0, max))}… (${text.length} chars)`;

/** A body as a reader can take it in: its size, hash, and its start as text. */
export function describeBytes(bytes: Uint8Array, max = 600): string {
  let text: string;
  try {
    text = JSON.stringify(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    text = `(not UTF-8) base64 ${Buffer.from(bytes.subarray(0, max)).toString("base64")}`;
  }
  return `${bytes.length} bytes, sha256 ${sha256Hex(bytes).slice(0, 16)}…: ${clip(text, max)}`;
}

/** The request exactly as sent, for a failure report. */
export function describeWire(wire: WireRequest): string {
  const lines = [`${wire.method} ${wire.target}  (framing: ${wire.framing})`];
  for (const [name, value] of wire.headers)
    lines.push(`  ${name}: ${clip(JSON.stringify(value), 300)}`);
  lines.push(`  body: ${describeBytes(wire.body)}`);
  return lines.join("\n");
}

/** A fuzz case in a few lines (fast-check prints this for the counterexample). */
export function describeCase(c: FuzzCase & { endpoint?: string }): string {
  const parts = [
    `${c.endpoint ? `[${c.endpoint}] ` : ""}${c.method} +suffix ${JSON.stringify(c.suffix)} ?${JSON.stringify(c.query)}`,
    `content-type ${JSON.stringify(c.contentType)}`,
    `auth ${clip(JSON.stringify(c.auth), 200)}`,
    `signature ${clip(JSON.stringify(c.signature), 200)}`,
    `x-request-id ${clip(JSON.stringify(c.requestIds), 200)}`,
    `extra headers ${clip(JSON.stringify(c.extra), 300)}`,
    `framing ${c.framing}`,
    `body (${c.body.natural}) ${describeBytes(c.body.bytes)}`,
  ];
  return `{ ${parts.join("; ")} }`;
}
