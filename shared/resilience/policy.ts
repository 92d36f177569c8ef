import type { CircuitBreaker, Permit } from "./breaker/breaker.ts";
import {
  type AttemptContext,
  type RetryCall,
  type RetryPolicy,
  type RetryStats,
  isRetryError,
  isTransient,
} from "./retry.ts";
import { resolveDeadline } from "./deadline.ts";
import { timeout } from "./timeout.ts";

const deadlineOf = (call: RetryCall) => resolveDeadline(call, Date.now());

export interface GuardOptions<T> {
  /** The upstream's breaker; omitted for calls no breaker guards. */
  breaker?: CircuitBreaker;
  /**
   * A permit already taken from `breaker`, when the caller asked for it in the same Redis round
   * trip as its rate limit; otherwise the guard asks the breaker itself.
   */
  permit?: Permit;
  /** Retries of the call; omitted for a call made once. */
  retry?: RetryPolicy;
  /** Each attempt's own limit (the request's deadline still caps it). */
  attemptTimeoutMs: number;
  /** Runs `report` after the response (`waitUntil`), so the outcome never delays the caller. */
  defer: (pending: Promise<unknown>) => void;
  /** A value that is a failure for the breaker though it was returned (say, a final 503). */
  isFailure?: (value: T) => boolean;
  /** Answers instead of the guarded call when it fails or its breaker refuses. */
  fallback?: (error: unknown) => T | Promise<T>;
}

/** What a guarded call gives its task on each attempt: the attempt's abort signal, always set. */
export type GuardedAttempt = AttemptContext & { signal: AbortSignal };

/**
 * One outbound call under the policies it is given, composed in one place: a timeout inside a
 * retry (if any) inside the breaker (if any), with the fallback (if any) outside. The breaker sees
 * one outcome per call (after its retries), reported through `defer`. A failed call rejects with
 * the retry policy's `RetryError` (its `cause` is the last attempt's error) or, without retries,
 * the attempt's own error; `BrokenCircuitError` when refused.
 */
export async function guard<T>(
  options: GuardOptions<T>,
  call: RetryCall,
  task: (attempt: GuardedAttempt) => Promise<T>,
): Promise<{ value: T; stats?: RetryStats }> {
  const attemptTimeout = timeout(options.attemptTimeoutMs);
  const run = async () => {
    const permit = options.permit ?? (await options.breaker?.acquire());
    const started = Date.now();
    let ok = false;
    const attempt = (context: AttemptContext) =>
      attemptTimeout.execute((signal) => task({ ...context, signal }), context);
    try {
      const result: { value: T; stats?: RetryStats } = options.retry
        ? await options.retry.execute(attempt, call)
        : { value: await attempt({ attempt: 1, signal: call.signal, deadline: deadlineOf(call) }) };
      ok = !options.isFailure?.(result.value);
      return result;
    } catch (error) {
      // Only the upstream's failures count against it: an error of our own (a bug, a refusal
      // of the caller's input) says nothing about the upstream's health.
      ok = options.retry ? isRetryError(error) && !isTransient(error.cause) : !isTransient(error);
      throw error;
    } finally {
      // A caller who hung up tells us nothing either; a probe's lease simply expires.
      if (permit && options.breaker && !call.signal?.aborted) {
        options.defer(options.breaker.report(permit, { ok, durationMs: Date.now() - started }));
      }
    }
  };
  if (!options.fallback) return run();
  try {
    return await run();
  } catch (error) {
    return { value: await options.fallback(error) };
  }
}
