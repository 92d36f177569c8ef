import { AppError } from "../../shared/http/errors.ts";
import { rateLimitError } from "../../shared/resilience/ratelimit/index.ts";
import type { ValueStore } from "../../shared/resilience/values/index.ts";
import type { Budget, CallerKey } from "./keys.ts";

export interface QuotaOptions {
  /** The fleet's shared values (Redis), or memory when Upstash is not configured. */
  values: ValueStore;
  /** This isolate's own counts, for tokens per minute while Redis is unreachable. */
  fallback: ValueStore;
  redisDown: () => boolean;
  prefix: string;
}

/** One caller's budget and tokens-per-minute for one request. */
export interface Quota {
  /** What to read before the upstream call, in the same round trip as the rate limit and gate. */
  keys: readonly string[];
  /** Throws 429 over a limit (503 for a budget that cannot be checked), given what `keys` read. */
  check(read: readonly (string | null)[] | Error): Promise<void>;
  /** Charges what the response used; runs after it (waitUntil). */
  charge(used: { tokens: number; costUsd: number }): Promise<unknown>;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/**
 * Spend is counted in nano-dollars: integers (INCRBY), fine enough that rounding each answer up
 * (never under-counting) adds under a millionth of a cent; ai_usage keeps 10^-8.
 */
const nanos = (usd: number) => Math.ceil(usd * 1e9);

/** The current period of a budget (UTC), and the spend Postgres gave for it. */
function period(budget: Budget, now: number) {
  const d = new Date(now);
  const [start, end] =
    budget.period === "day"
      ? [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()), 0]
      : [
          Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
          Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
        ];
  return {
    start,
    end: end || start + DAY_MS,
    // A lookup cached across the period's start saw the last period: this one starts from 0.
    seed: budget.periodStart === start ? nanos(budget.spentUsd) : 0,
  };
}

function budgetExceeded(budget: Budget, resetsAt: number, now: number): AppError {
  const retryAfterSec = Math.max(1, Math.ceil((resetsAt - now) / 1000));
  return new AppError({
    status: 429,
    code: "budget_exceeded",
    category: "rate_limit",
    message: `This key has spent its budget of $${budget.usd} for this ${budget.period}`,
    details: { budgetUsd: budget.usd, period: budget.period, retryAfterSec },
    headers: { "Retry-After": String(retryAfterSec) },
  });
}

const budgetUnavailable = () =>
  new AppError({
    status: 503,
    code: "budget_unavailable",
    category: "external_service",
    message: "This key's budget cannot be checked right now; retry shortly",
    headers: { "Retry-After": "5" },
  });

/**
 * Budgets and tokens per minute that hold across every isolate: each is a counter in Redis,
 * read before the upstream call and charged when the response is accounted. Requests in flight
 * have been admitted against a count without them, so a key overshoots by at most what those
 * requests use. A wiped counter is rebuilt from Postgres's spend (seen at the key's lookup); an
 * unreachable Redis refuses budgeted keys (503) and counts tokens per isolate.
 */
export function createQuotas(options: QuotaOptions) {
  return function quotaFor(caller: CallerKey, now = Date.now()): Quota | undefined {
    const { budget, tokensPerMinute: tpm } = caller;
    if (!budget && !tpm) return undefined;
    const spend = budget && { ...period(budget, now), budget };
    const spendKey = spend && `${options.prefix}spend:${caller.id}:${spend.start}`;
    const minute = Math.floor(now / MINUTE_MS);
    const tpmKeys = tpm
      ? [
          `${options.prefix}tpm:${caller.id}:${minute}`,
          `${options.prefix}tpm:${caller.id}:${minute - 1}`,
        ]
      : [];
    const keys = [...(spendKey ? [spendKey] : []), ...tpmKeys];

    const checkTokens = (current: string | null, previous: string | null) => {
      // A sliding minute: the last minute's count weighs what is left of it.
      const past = 1 - (now % MINUTE_MS) / MINUTE_MS;
      const used = Number(current ?? 0) + Number(previous ?? 0) * past;
      if (used >= tpm!) {
        const reset = (minute + 1) * MINUTE_MS;
        throw rateLimitError(
          {
            success: false,
            policy: "tokens",
            limit: tpm!,
            windowSec: 60,
            remaining: 0,
            reset,
            source: "redis",
          },
          now,
        );
      }
    };

    return {
      keys,
      async check(read) {
        const down = read instanceof Error || options.redisDown();
        if (spend && down) throw budgetUnavailable();
        const values = down ? await options.fallback.read(keys) : (read as (string | null)[]);
        if (spend) {
          const spent = values[0] === null ? spend.seed : Number(values[0]);
          if (spent >= nanos(spend.budget.usd)) throw budgetExceeded(spend.budget, spend.end, now);
        }
        if (tpm) checkTokens(values[keys.length - 2] ?? null, values[keys.length - 1] ?? null);
      },
      async charge({ tokens, costUsd }) {
        const charges: Promise<unknown>[] = [];
        const store = options.redisDown() ? options.fallback : options.values;
        if (spendKey && costUsd > 0) {
          const ttlMs = spend.end - now + DAY_MS;
          charges.push(store.charge(spendKey, nanos(costUsd), { seed: spend.seed, ttlMs }));
        }
        if (tpm && tokens > 0) {
          const created = { seed: 0, ttlMs: 2 * MINUTE_MS + 1000 };
          charges.push(
            store
              .charge(tpmKeys[0]!, tokens, created)
              .catch(() => options.fallback.charge(tpmKeys[0]!, tokens, created)),
          );
        }
        return Promise.all(charges);
      },
    };
  };
}
