import type { Redis } from "../../shared/clients/redis.ts";
import { BoundedMap } from "../../shared/bounded-map.ts";
import { AppError } from "../../shared/http/errors.ts";
import { secureCompare } from "../../shared/http/secure-compare.ts";

/** A WebCrypto HMAC key (the global `CryptoKey` type differs between the platforms' typings). */
export type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** Wrong codes a pending verification takes; the next wrong one ends it. */
export const MAX_ATTEMPTS = 5;

/**
 * A 6-digit code from the platform's CSPRNG without modulo bias: 32-bit draws at or above the
 * largest multiple of 10^6 are thrown away (a 0.02 % chance each), so every code is equally likely.
 */
export function generateCode(): string {
  const limit = 2 ** 32 - (2 ** 32 % 1_000_000);
  const draw = new Uint32Array(1);
  do crypto.getRandomValues(draw);
  while (draw[0]! >= limit);
  return String(draw[0]! % 1_000_000).padStart(6, "0");
}

/**
 * HMAC-SHA256 of phone and code under the deployment's key, hex: all that is ever stored. The
 * `v1:` prefix keeps it a string through clients that read JSON-looking replies as numbers.
 */
export async function codeHash(key: HmacKey, phone: string, code: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${phone}:${code}`));
  return `v1:${[...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** The HMAC key for code hashes, derived from a deployment secret (never the secret itself). */
export async function codeKey(secret: string): Promise<HmacKey> {
  const encoder = new TextEncoder();
  const hmac = { name: "HMAC", hash: "SHA-256" };
  const root = await crypto.subtle.importKey("raw", encoder.encode(secret), hmac, false, ["sign"]);
  const derived = await crypto.subtle.sign(
    "HMAC",
    root,
    encoder.encode("breakwater verification codes"),
  );
  return crypto.subtle.importKey("raw", derived, hmac, false, ["sign"]);
}

export type CheckResult =
  { result: "approved" } | { result: "invalid"; attemptsLeft: number } | { result: "not_found" };

/** Pending verifications, one per phone. */
export interface VerificationStore {
  /** Stores the hash of a new code, replacing any pending one, for `ttlSec`. */
  start(phone: string, hash: string, ttlSec: number): Promise<void>;
  /**
   * Checks `hash` against the pending verification: each check takes one attempt atomically
   * before it compares (so parallel guesses cannot exceed the attempts), the right code ends it.
   */
  check(phone: string, hash: string): Promise<CheckResult>;
}

// KEYS[1] the verification hash (fields h: code hash, n: attempts taken); ARGV[1] hash; ARGV[2] ttl ms
const START = `redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'h', ARGV[1], 'n', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

// KEYS[1] as above; ARGV[1] max attempts. Takes an attempt; returns {hash, attempts taken}, or
// nothing when there is no pending verification (deleted once its attempts are all taken).
const TAKE_ATTEMPT = `local h = redis.call('HGET', KEYS[1], 'h')
if not h then return nil end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
if n > tonumber(ARGV[1]) then redis.call('DEL', KEYS[1]) return nil end
return {h, n}`;

// KEYS[1] as above; ARGV[1] the hash the caller's attempt was compared with. Ends the
// verification if it is still that one (a new start in between is not ended); 1 if it did.
const END_IF_SAME = `if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

async function decide(
  taken: [string, number] | null,
  hash: string,
  end: (stored: string) => Promise<boolean>,
): Promise<CheckResult> {
  if (!taken) return { result: "not_found" };
  const [stored, attempts] = taken;
  if (secureCompare(stored, hash)) {
    // Two right answers racing: the one that ends it is approved, the other finds nothing.
    return (await end(stored)) ? { result: "approved" } : { result: "not_found" };
  }
  if (attempts >= MAX_ATTEMPTS) await end(stored);
  return { result: "invalid", attemptsLeft: MAX_ATTEMPTS - attempts };
}

/** Redis failed: the codes live there, so nothing can be started or checked until it is back. */
async function orUnavailable<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch {
    throw new AppError({
      status: 503,
      code: "verification_unavailable",
      category: "external_service",
      message: "Verifications cannot be stored or checked right now; retry later",
      headers: { "Retry-After": "5" },
    });
  }
}

/** Pending verifications in Redis, fleet-wide; each step one script, atomic. */
export function redisVerifications(redis: Redis, prefix: string): VerificationStore {
  const keyOf = (phone: string) => `${prefix}verify:${phone}`;
  const run = <T>(script: string, phone: string, args: (string | number)[]) =>
    orUnavailable(async () => (await redis.send(["EVAL", script, 1, keyOf(phone), ...args])) as T);
  return {
    async start(phone, hash, ttlSec) {
      await run(START, phone, [hash, ttlSec * 1000]);
    },
    async check(phone, hash) {
      const taken = await run<[string, number] | null>(TAKE_ATTEMPT, phone, [MAX_ATTEMPTS]);
      return decide(
        taken,
        hash,
        async (stored) => (await run<number>(END_IF_SAME, phone, [stored])) === 1,
      );
    },
  };
}

/** The same semantics in this isolate's memory: the embedded default without Upstash. */
export function memoryVerifications(now = Date.now): VerificationStore {
  const pending = new BoundedMap<string, { hash: string; attempts: number; expires: number }>(
    100_000,
  );
  const live = (phone: string) => {
    const entry = pending.get(phone);
    if (entry && entry.expires <= now()) pending.delete(phone);
    return pending.get(phone);
  };
  return {
    async start(phone, hash, ttlSec) {
      pending.set(phone, { hash, attempts: 0, expires: now() + ttlSec * 1000 });
    },
    async check(phone, hash) {
      const entry = live(phone);
      let taken: [string, number] | null = null;
      if (entry && ++entry.attempts <= MAX_ATTEMPTS) taken = [entry.hash, entry.attempts];
      else if (entry) pending.delete(phone);
      return decide(taken, hash, async (stored) => {
        if (live(phone)?.hash !== stored) return false;
        pending.delete(phone);
        return true;
      });
    },
  };
}
