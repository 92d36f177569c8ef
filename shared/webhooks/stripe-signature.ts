import { secureCompare } from "../http/secure-compare.ts";
import { assertSigningKeys, concatBytes, hmacSha256Hex, utf8 } from "./hmac.ts";

/** Stripe's own default: five minutes. */
export const STRIPE_DEFAULT_TOLERANCE_SEC = 300;

/** Why a `Stripe-Signature` was refused. Safe to log and to return: it holds no secret. */
export type StripeFailureReason =
  | "missing_header"
  | "malformed_header"
  | "no_v1_signature"
  | "timestamp_outside_tolerance"
  | "no_matching_signature";

/** The outcome of {@link verifyStripeSignature}; `timestamp` is the signed `t=` in seconds. */
export type StripeVerification =
  { ok: true; timestamp: number } | { ok: false; reason: StripeFailureReason };

export interface StripeVerifyInput {
  /** The `Stripe-Signature` header as received (`null` when absent). */
  header: string | null | undefined;
  /** The raw request body, byte for byte: never a parsed or re-serialised copy. */
  body: Uint8Array;
  /** Every `whsec_…` secret currently accepted (several during a rotation). */
  secrets: readonly string[];
  /** Largest accepted distance between `t=` and now, in either direction. */
  toleranceSec?: number;
  /** Milliseconds since the epoch, as `Date.now()`; injected by tests. */
  now?: number;
}

interface ParsedHeader {
  /** `t=` exactly as sent: canonical digits, so it is also what Stripe signed. */
  timestamp: string;
  v1: string[];
}

// Canonical decimal only (no sign, exponent, leading zero or space), at most 15 digits so the
// number is exact. stripe-node's parseInt would read `0123`, `12abc` and `1e3` as numbers and sign
// a different text than the header shows; Stripe never sends such values, so they are malformed.
const TIMESTAMP = /^(?:0|[1-9]\d{0,14})$/;

/**
 * Splits `t=…,v1=…[,v1=…][,v0=…]` on `,` and each item at its first `=`, trimming nothing (as
 * stripe-node: `, v1=` is an unknown key). Unknown keys, `v0` included, are ignored. A second `t=`
 * makes the header malformed: stripe-node keeps the last, but a header naming two times is
 * ambiguous and Stripe never sends one, so we refuse rather than pick.
 */
function parseHeader(header: string): ParsedHeader | undefined {
  let timestamp: string | undefined;
  const v1: string[] = [];
  for (const item of header.split(",")) {
    const at = item.indexOf("=");
    const key = at === -1 ? item : item.slice(0, at);
    const value = at === -1 ? "" : item.slice(at + 1);
    if (key === "t") {
      if (timestamp !== undefined || !TIMESTAMP.test(value)) return undefined;
      timestamp = value;
    } else if (key === "v1") {
      v1.push(value);
    }
  }
  return timestamp === undefined ? undefined : { timestamp, v1 };
}

/**
 * Verifies a Stripe webhook: HMAC-SHA256, keyed by the whole `whsec_…` secret, over `${t}.` and
 * then the raw body bytes, compared in constant time with every `v1` value (any secret × any `v1`
 * may match; `v0` never counts). The signature is checked before the time, so
 * `timestamp_outside_tolerance` always means "signed by Stripe, but stale or early": a replay.
 *
 * The time check is two-sided, `|now - t| > toleranceSec` fails (stripe-node only checks the
 * past); exactly at the tolerance passes in both directions, as stripe-node's `>` does for the
 * past. Throws only on bad configuration (no secret, a blank or padded one, a bad tolerance).
 */
export async function verifyStripeSignature(input: StripeVerifyInput): Promise<StripeVerification> {
  const { header, body, secrets, toleranceSec = STRIPE_DEFAULT_TOLERANCE_SEC } = input;
  assertSigningKeys(secrets, "Stripe webhook signing secret");
  if (!Number.isFinite(toleranceSec) || toleranceSec < 0) {
    throw new TypeError("toleranceSec must be a finite number of seconds, zero or more");
  }
  if (header === null || header === undefined || header === "") {
    return { ok: false, reason: "missing_header" };
  }
  const parsed = parseHeader(header);
  if (!parsed) return { ok: false, reason: "malformed_header" };
  if (parsed.v1.length === 0) return { ok: false, reason: "no_v1_signature" };

  const signedContent = concatBytes(utf8(`${parsed.timestamp}.`), body);
  let matched = false;
  for (const secret of secrets) {
    const expected = await hmacSha256Hex(secret, signedContent);
    for (const candidate of parsed.v1) {
      // No early exit: every pair is compared, so timing says nothing about which one matched.
      if (secureCompare(expected, candidate)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: "no_matching_signature" };

  const timestamp = Number(parsed.timestamp);
  const nowSec = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(nowSec - timestamp) > toleranceSec) {
    return { ok: false, reason: "timestamp_outside_tolerance" };
  }
  return { ok: true, timestamp };
}
