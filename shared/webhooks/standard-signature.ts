import { secureCompare } from "../http/secure-compare.ts";
import { assertSigningKeys, concatBytes, fromBase64, hmacSha256Base64, utf8 } from "./hmac.ts";

/** The specification's (and its reference libraries') tolerance: five minutes either way. */
export const STANDARD_TOLERANCE_SEC = 300;

/** Why a Standard Webhooks signature was refused. Safe to log and to return: it holds no secret. */
export type StandardFailureReason =
  | "missing_headers"
  | "malformed_timestamp"
  | "no_v1_signature"
  | "no_matching_signature"
  | "timestamp_outside_tolerance";

export type StandardVerification =
  { ok: true; timestamp: number } | { ok: false; reason: StandardFailureReason };

/** The three headers of a Standard Webhooks request, as received (`null` when absent). */
export interface StandardHeaders {
  id: string | null | undefined;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
}

const PREFIX = "whsec_";
// Canonical decimal seconds only, so the signed text is exactly the header's.
const TIMESTAMP = /^(?:0|[1-9]\d{0,14})$/;

/**
 * The HMAC key of a `whsec_…` secret: the base64 after the prefix, decoded (the prefix is
 * optional, as in the reference libraries). Throws on a secret that is not base64 or is empty.
 */
export function standardSecretKey(secret: string): Uint8Array {
  const key = fromBase64(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret);
  if (!key || key.byteLength === 0) {
    throw new TypeError("A Standard Webhooks secret must be whsec_ followed by base64");
  }
  return key;
}

/** `whsec_` + base64 of 32 random bytes: a new endpoint secret. */
export function newStandardSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return PREFIX + btoa(String.fromCharCode(...bytes));
}

const signedContent = (id: string, timestamp: string, body: Uint8Array) =>
  concatBytes(utf8(`${id}.${timestamp}.`), body);

/**
 * The `webhook-signature` value for one request: `v1,<base64 HMAC-SHA256>` per secret, space
 * separated (during a rotation the new secret and the old one both sign), over
 * `${id}.${timestamp}.` then the body bytes.
 */
export async function signStandardWebhook(input: {
  id: string;
  /** Unix seconds of this attempt: the `webhook-timestamp` header. */
  timestamp: number;
  body: Uint8Array;
  secrets: readonly string[];
}): Promise<string> {
  const content = signedContent(input.id, String(input.timestamp), input.body);
  const signatures = await Promise.all(
    input.secrets.map(
      async (secret) => `v1,${await hmacSha256Base64(standardSecretKey(secret), content)}`,
    ),
  );
  return signatures.join(" ");
}

/**
 * Verifies a Standard Webhooks request: any `v1` signature (other versions are ignored) made
 * with any configured secret over `${id}.${timestamp}.` then the raw body, compared in constant
 * time, then the timestamp within `toleranceSec` of now in either direction. Throws only on bad
 * configuration (no secret, a blank, padded or non-base64 one).
 */
export async function verifyStandardWebhook(input: {
  headers: StandardHeaders;
  body: Uint8Array;
  secrets: readonly string[];
  toleranceSec?: number;
  /** Milliseconds since the epoch, as `Date.now()`; injected by tests. */
  now?: number;
}): Promise<StandardVerification> {
  const { headers, body, secrets, toleranceSec = STANDARD_TOLERANCE_SEC } = input;
  assertSigningKeys(secrets, "Standard Webhooks secret");
  const keys = secrets.map(standardSecretKey);
  if (!headers.id || !headers.timestamp || !headers.signature) {
    return { ok: false, reason: "missing_headers" };
  }
  if (!TIMESTAMP.test(headers.timestamp)) return { ok: false, reason: "malformed_timestamp" };
  const candidates = headers.signature
    .split(" ")
    .filter((item) => item.startsWith("v1,"))
    .map((item) => item.slice(3));
  if (candidates.length === 0) return { ok: false, reason: "no_v1_signature" };

  const content = signedContent(headers.id, headers.timestamp, body);
  let matched = false;
  for (const key of keys) {
    const expected = await hmacSha256Base64(key, content);
    // No early exit: every pair is compared, so timing says nothing about which one matched.
    for (const candidate of candidates) if (secureCompare(expected, candidate)) matched = true;
  }
  if (!matched) return { ok: false, reason: "no_matching_signature" };

  const timestamp = Number(headers.timestamp);
  const nowSec = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestamp) > toleranceSec) {
    return { ok: false, reason: "timestamp_outside_tolerance" };
  }
  return { ok: true, timestamp };
}
