import type { BreakerConfig } from "./config.ts";

export type BreakerState = "closed" | "open" | "half_open";

/** What a breaker says about one call before it is made. */
export interface GateResult {
  /** `allow`: closed; `probe`: one of the half-open probes; `reject`: don't call. */
  decision: "allow" | "probe" | "reject";
  state: BreakerState;
  /** Generation the outcome must be reported under. */
  generation: number;
  /** When rejected: when trying again makes sense (ms epoch). */
  retryAt?: number;
}

export interface GateRequest {
  config: BreakerConfig;
  /** The caller's clock, ms; stored time never runs backwards whatever the callers' skew. */
  now: number;
  /** Identifies this call's probe lease, if it gets one. */
  leaseId: string;
}

export interface RecordRequest {
  config: BreakerConfig;
  now: number;
  generation: number;
  failed: boolean;
  /** How many calls this outcome stands for: successes reported together (default 1). */
  calls?: number;
  /** The lease of a half-open probe, released by this report. */
  leaseId?: string;
  /** `openJitter()`; fixed in tests. */
  jitter: number;
}

export type Transition = "opened" | "closed" | "reopened";

export interface RecordResult {
  state: BreakerState;
  generation: number;
  /** While open: until when (ms epoch). */
  openUntil?: number;
  /** Set only in the one report, fleet-wide, that caused the transition. */
  transition?: Transition;
  /** The report was under an old generation and was ignored. */
  stale: boolean;
}

/** Per-breaker statistics (GET /health/breakers, docs/resilience.md), over the rolling window. */
export interface BreakerStats {
  name: string;
  state: BreakerState;
  failureCount: number;
  successCount: number;
  failureRate: number;
  consecutiveFailures: number;
  lastFailureTime: number | null;
  lastSuccessTime: number | null;
  lastStateChange: number | null;
  openUntil: number | null;
  /** When the breaker first opened in its current outage (it has not closed since), else null. */
  openSince: number | null;
  generation: number;
}

/**
 * Where breaker state lives. Two implementations with one contract (test/unit/resilience):
 * Redis, shared by every isolate, changed only by atomic Lua scripts; and in-isolate memory,
 * the embedded default and the fallback while Redis is unreachable.
 */
export interface BreakerStore {
  gate(name: string, request: GateRequest): Promise<GateResult>;
  record(name: string, request: RecordRequest): Promise<RecordResult>;
  /** Stats of every breaker that has recorded an outcome. */
  stats(now: number): Promise<BreakerStats[]>;
  /** Moves an open breaker to half-open now (the cron saw its upstream answer); false if not open. */
  halfOpen(name: string, now: number): Promise<boolean>;
}
