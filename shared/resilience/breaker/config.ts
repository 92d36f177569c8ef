/** How one circuit breaker trips, waits and recovers (docs/resilience.md). */
export interface BreakerConfig {
  /** Consecutive failures that open a closed breaker. */
  failureThreshold: number;
  /** Also open when the failure rate over the rolling window reaches `threshold` (0–1)… */
  failureRate?: { threshold: number; minimumCalls: number };
  /** …counted over this rolling window, which also backs the stats. */
  windowMs: number;
  /** A call slower than this counts as a failure (when set). */
  slowCallMs?: number;
  /** First open period; each consecutive trip doubles it, up to `maxResetTimeoutMs`. */
  resetTimeoutMs: number;
  maxResetTimeoutMs: number;
  /** Probes admitted at once in half-open, across every isolate. */
  halfOpenMaxCalls: number;
  /** Probe successes that close a half-open breaker. */
  successThreshold: number;
  /** How long a probe holds its slot; a prober whose isolate died frees it when this runs out. */
  probeLeaseMs: number;
}

export const DEFAULT_BREAKER: BreakerConfig = {
  failureThreshold: 5,
  windowMs: 60_000,
  resetTimeoutMs: 60_000,
  maxResetTimeoutMs: 10 * 60_000,
  halfOpenMaxCalls: 3,
  successThreshold: 2,
  probeLeaseMs: 30_000,
};

/** `DEFAULT_BREAKER` with overrides, checked once when a breaker is built (never per call). */
export function breakerConfig(overrides: Partial<BreakerConfig> = {}): BreakerConfig {
  const config = { ...DEFAULT_BREAKER, ...overrides };
  const positive = [
    "failureThreshold",
    "windowMs",
    "resetTimeoutMs",
    "maxResetTimeoutMs",
    "halfOpenMaxCalls",
    "successThreshold",
    "probeLeaseMs",
  ] as const;
  for (const key of positive) {
    if (!(config[key] > 0)) throw new RangeError(`breaker ${key} must be positive`);
  }
  const rate = config.failureRate;
  if (rate && !(rate.threshold > 0 && rate.threshold <= 1 && rate.minimumCalls >= 1)) {
    throw new RangeError("breaker failureRate needs 0 < threshold <= 1 and minimumCalls >= 1");
  }
  return config;
}

/**
 * Spread of the open period (±10 %), so breakers tripped together in many regions don't all
 * probe in the same instant. Stores take it as an argument so tests can pin it.
 */
export function openJitter(random = Math.random): number {
  return 0.9 + random() * 0.2;
}

/** The open period after the `trips`-th consecutive trip: exponential, jittered, capped. */
export function openPeriodMs(config: BreakerConfig, trips: number, jitter: number): number {
  const base = config.resetTimeoutMs * 2 ** Math.max(0, trips - 1);
  return Math.round(Math.min(config.maxResetTimeoutMs, base * jitter));
}
