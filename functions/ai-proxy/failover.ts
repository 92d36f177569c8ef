import { AppError, isAppError } from "../../shared/http/errors.ts";
import type { ConfiguredProvider } from "../../shared/providers/index.ts";
import type { ProviderError } from "../../shared/providers/types.ts";
import {
  type CircuitBreaker,
  type Permit,
  isBrokenCircuitError,
} from "../../shared/resilience/breaker/breaker.ts";
import { guard } from "../../shared/resilience/policy.ts";
import { isRetryError, retry } from "../../shared/resilience/retry.ts";
import { isTimeoutError } from "../../shared/resilience/timeout.ts";
import type { Capabilities, Capability } from "./endpoints.ts";
import type { Target } from "./routes.ts";

/** One link of a fallback chain, ready to call: its provider's transform for the capability. */
export interface ChainTarget<C extends Capability = Capability> extends ConfiguredProvider {
  target: Target;
  breaker: CircuitBreaker;
  transform: Capabilities[C];
}

export interface ChainOptions<T> {
  targets: readonly ChainTarget[];
  /** The first target's permit, asked for in the same Redis round trip as the rate limit. */
  firstPermit: Permit | Error | undefined;
  attemptTimeoutMs: number;
  deadline: number;
  /** The caller's request signal: a client that hangs up stops the chain. */
  signal: AbortSignal;
  defer: (pending: Promise<unknown>) => void;
  /** One attempt: the upstream's refusal as its Response, or the translated value. */
  attempt: (target: ChainTarget, signal: AbortSignal) => Promise<T | Response>;
}

export type ChainResult<T> =
  | { ok: true; value: T; served: ChainTarget; attempts: number }
  | { ok: false; error: AppError; attempts: number };

// One quick retry on the same target, then the next target: a chain is faster than waiting.
const SAME_TARGET_RETRY = retry({ initialDelayMs: 200, maxDelayMs: 2_000, retries: 1 });

/** Statuses that move the chain on: transient, or our own key refused (the caller's request is fine). */
const failsOver = (status: number) =>
  status === 408 || status === 429 || status === 401 || status === 403 || status >= 500;

/** Refusals about our provider account, not the caller's request: the next target may serve it. */
const OUR_ACCOUNT = new Set(["invalid_api_key", "permission_denied", "insufficient_quota"]);

interface Failure {
  status: number;
  error: ProviderError;
  retryAfter?: string | null;
}

/**
 * Tries each target in order under the shared policy (its breaker, a per-attempt timeout, one
 * retry honouring Retry-After), moving on after a retryable error, a timeout or an open breaker.
 * An upstream refusal of the request itself (4xx other than 408/429/401/403) is the answer.
 */
export async function runChain<T>(options: ChainOptions<T>): Promise<ChainResult<T>> {
  let attempts = 0;
  let last: Failure | undefined;
  let unsupported: AppError | undefined;
  for (const [index, link] of options.targets.entries()) {
    if (Date.now() >= options.deadline) break;
    const permit = index === 0 ? options.firstPermit : undefined;
    if (permit instanceof Error) continue; // its breaker is open: zero upstream attempts
    try {
      const { value, stats } = await guard(
        {
          breaker: link.breaker,
          ...(permit ? { permit } : {}),
          retry: SAME_TARGET_RETRY,
          attemptTimeoutMs: options.attemptTimeoutMs,
          defer: options.defer,
          isFailure: (v: T | Response) => v instanceof Response && failsOver(v.status),
        },
        { deadline: options.deadline, signal: options.signal },
        ({ signal }) => options.attempt(link, signal),
      );
      attempts += stats?.attempts ?? 1;
      if (!(value instanceof Response)) return { ok: true, value, served: link, attempts };
      const failure = {
        status: value.status,
        error: link.provider.error(value.status, await value.text().catch(() => "")),
        retryAfter: value.headers.get("retry-after"),
      };
      // Gemini refuses a bad key with a 400: the restated code, not the status, says it is ours.
      if (!failsOver(value.status) && !OUR_ACCOUNT.has(failure.error.code ?? "")) {
        return { ok: false, error: refused(failure), attempts };
      }
      last = failure;
    } catch (error) {
      if (isBrokenCircuitError(error)) continue;
      if (!isRetryError(error) || options.signal.aborted) throw error;
      // A request this provider cannot take (say, n > 1 for Anthropic): the next one may.
      if (isAppError(error.cause) && error.cause.status < 500) {
        unsupported = error.cause;
        continue;
      }
      attempts += error.stats.attempts;
      last = isTimeoutError(error.cause)
        ? { status: 504, error: { message: `${link.target.provider} did not answer in time` } }
        : { status: 502, error: { message: `${link.target.provider} could not be reached` } };
    }
  }
  return { ok: false, error: !last && unsupported ? unsupported : exhausted(last), attempts };
}

/** The upstream refused the request itself: the caller gets its status and a restated reason. */
function refused({ status, error }: Failure): AppError {
  return new AppError({
    status,
    code: error.code ?? `upstream_${status}`,
    category: status === 404 ? "not_found" : "validation",
    message: error.message,
  });
}

function exhausted(last: Failure | undefined): AppError {
  if (!last) {
    return new AppError({
      status: 503,
      code: "providers_unavailable",
      category: "external_service",
      message: "Every provider for this model is temporarily unavailable",
      headers: { "Retry-After": "5" },
    });
  }
  if (last.status === 429) {
    return new AppError({
      status: 429,
      code: "upstream_rate_limited",
      category: "rate_limit",
      message: "The providers for this model are rate limiting; retry later",
      ...(last.retryAfter ? { headers: { "Retry-After": last.retryAfter } } : {}),
    });
  }
  const status = last.status === 504 ? 504 : 502;
  return new AppError({
    status,
    code: status === 504 ? "upstream_timeout" : "upstream_error",
    category: "external_service",
    message: last.error.message,
  });
}
