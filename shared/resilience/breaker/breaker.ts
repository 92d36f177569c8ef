import type { Logger } from "../../http/logger.ts";
import { type BreakerConfig, openJitter } from "./config.ts";
import type { BreakerStore, GateResult, RecordResult } from "./store.ts";

const BRAND = Symbol.for("breakwater.BrokenCircuitError");

/** A call refused because its breaker is open (or its half-open probes are all taken). */
export class BrokenCircuitError extends Error {
  readonly [BRAND] = true;
  readonly breaker: string;
  /** How long until trying again makes sense. */
  readonly retryAfterMs: number;
  constructor(breaker: string, retryAfterMs: number) {
    super(`Circuit breaker ${breaker} is open`);
    this.name = "BrokenCircuitError";
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Recognises the error across separately bundled copies of this module. */
export function isBrokenCircuitError(error: unknown): error is BrokenCircuitError {
  return typeof error === "object" && error !== null && BRAND in error;
}

/** Admission of one call: report its outcome with the same permit. */
export interface Permit {
  generation: number;
  probe: boolean;
  leaseId: string;
}

export interface CircuitBreakerOptions {
  name: string;
  config: BreakerConfig;
  store: BreakerStore;
  log?: Logger;
  clock?: () => number;
  random?: () => number;
}

/**
 * One breaker as seen from this isolate. Its state lives in the store; the isolate only caches
 * "open until T", learned from the store's answers, and while that holds it refuses calls
 * without asking the store at all.
 */
export class CircuitBreaker {
  readonly name: string;
  readonly config: BreakerConfig;
  readonly #store: BreakerStore;
  readonly #log: Logger | undefined;
  readonly #clock: () => number;
  readonly #random: () => number;
  #openUntil = 0;

  constructor(options: CircuitBreakerOptions) {
    this.name = options.name;
    this.config = options.config;
    this.#store = options.store;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** Whether this isolate knows the breaker to be open right now (no store call). */
  get knownOpen(): boolean {
    return this.#clock() < this.#openUntil;
  }

  /** Admits a call or throws BrokenCircuitError. Zero store calls while the cached open period lasts. */
  async acquire(): Promise<Permit> {
    const now = this.#clock();
    if (now < this.#openUntil) throw new BrokenCircuitError(this.name, this.#openUntil - now);
    const leaseId = crypto.randomUUID();
    const gate: GateResult = await this.#store.gate(this.name, {
      config: this.config,
      now,
      leaseId,
    });
    if (gate.decision === "reject") {
      const retryAt = gate.retryAt ?? now;
      if (gate.state === "open") this.#openUntil = retryAt;
      throw new BrokenCircuitError(this.name, Math.max(0, retryAt - now));
    }
    return { generation: gate.generation, probe: gate.decision === "probe", leaseId };
  }

  /**
   * Reports a call's outcome (a call slower than `slowCallMs` counts as failed). Meant to run
   * after the response, through `waitUntil`; it never throws.
   */
  async report(
    permit: Permit,
    outcome: { ok: boolean; durationMs: number },
  ): Promise<RecordResult | undefined> {
    const slow =
      this.config.slowCallMs !== undefined && outcome.durationMs > this.config.slowCallMs;
    try {
      const result = await this.#store.record(this.name, {
        config: this.config,
        now: this.#clock(),
        generation: permit.generation,
        failed: !outcome.ok || slow,
        leaseId: permit.probe ? permit.leaseId : undefined,
        jitter: openJitter(this.#random),
      });
      if (result.openUntil !== undefined) this.#openUntil = result.openUntil;
      if (result.transition) {
        const level = result.transition === "closed" ? "info" : "warn";
        this.#log?.[level](`breaker ${result.transition}`, {
          breaker: this.name,
          openUntil: result.openUntil,
        });
      }
      return result;
    } catch (error) {
      this.#log?.warn("breaker outcome not recorded", { breaker: this.name, error });
      return undefined;
    }
  }
}
