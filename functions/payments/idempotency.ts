import type { Caller } from "../../shared/auth/caller.ts";
import { AppError } from "../../shared/http/errors.ts";

// Printable ASCII, as Stripe takes it; 255 characters is Stripe's own limit.
const CALLER_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The Idempotency-Key sent to Stripe for one create. The caller's own key is scoped to the caller
 * (a digest of the caller's id and the key), so two callers choosing the same key never share an
 * object; without one, a fresh key per call, which the retries of that call reuse.
 */
export async function idempotencyKeyFor(
  caller: Caller,
  header: string | undefined,
): Promise<string> {
  if (header === undefined) return `bw_${crypto.randomUUID()}`;
  if (!CALLER_KEY.test(header)) {
    throw new AppError({
      status: 400,
      code: "invalid_idempotency_key",
      category: "validation",
      message: "Idempotency-Key must be 1 to 255 printable ASCII characters",
    });
  }
  const scoped = new TextEncoder().encode(`${caller.id}\n${header}`);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", scoped));
  return `bw_${[...digest].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
