import { secureCompare } from "../http/secure-compare.ts";
import { assertSigningKeys, hmacSha256Hex } from "./hmac.ts";

/** Why an `X-Hub-Signature-256` was refused. Safe to log and to return: it holds no secret. */
export type GithubFailureReason =
  "missing_signature" | "malformed_signature" | "no_matching_signature";

export type GithubVerification = { ok: true } | { ok: false; reason: GithubFailureReason };

const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * Verifies GitHub's `X-Hub-Signature-256: sha256=<hex>`: HMAC-SHA256 of the raw body keyed by
 * the webhook secret's UTF-8 bytes, lower-case hex, compared in constant time with every
 * configured secret (several during a rotation). GitHub signs no timestamp: replays are caught
 * by the delivery id (`X-GitHub-Delivery`), not here. Throws only on bad configuration.
 */
export async function verifyGithubSignature(input: {
  header: string | null | undefined;
  body: Uint8Array;
  secrets: readonly string[];
}): Promise<GithubVerification> {
  assertSigningKeys(input.secrets, "GitHub webhook secret");
  if (!input.header) return { ok: false, reason: "missing_signature" };
  const presented = SIGNATURE.exec(input.header)?.[1];
  if (!presented) return { ok: false, reason: "malformed_signature" };
  let matched = false;
  for (const secret of input.secrets) {
    if (secureCompare(await hmacSha256Hex(secret, input.body), presented)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: "no_matching_signature" };
}
