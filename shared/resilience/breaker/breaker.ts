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
  /**
   * Hold plain successes (not probes, not slow) for up to this long instead of reporting each:
   * they go to the store together with this isolate's next gate of this breaker (the same round
   * trip) or when the time is up. Unset: every outcome is reported at once.
   */
  successFlushMs?: number;
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
  readonly #successFlushMs: number | undefined;
  #openUntil = 0;
  /** Successes not yet in the store, by the generation they were admitted under. */
  readonly #successes = new Map<number, number>();
  /** Marks the batch being held: only the report that started it flushes it on time. */
  #batch: object | undefined;

  constructor(options: CircuitBreakerOptions) {
    this.name = options.name;
    this.config = options.config;
    this.#store = options.store;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#successFlushMs = options.successFlushMs;
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
    // Issued in the same tick as the gate: held successes ride its round trip.
    void this.#flush();
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
   * after the response, through `waitUntil`; it never throws. With `successFlushMs`, a plain
   * success is held: the report that starts a batch resolves once the batch is in the store
   * (with a gate, or alone when the time is up), the others at once.
   */
  async report(
    permit: Permit,
    outcome: { ok: boolean; durationMs: number },
  ): Promise<RecordResult | undefined> {
    const slow =
      this.config.slowCallMs !== undefined && outcome.durationMs > this.config.slowCallMs;
    const failed = !outcome.ok || slow;
    if (!failed && !permit.probe && this.#successFlushMs !== undefined) {
      this.#successes.set(permit.generation, (this.#successes.get(permit.generation) ?? 0) + 1);
      if (this.#batch) return undefined;
      const batch = (this.#batch = {});
      await new Promise((resolve) => setTimeout(resolve, this.#successFlushMs));
      // Not yet carried by a gate: it goes alone, at most successFlushMs after it started.
      return this.#batch === batch ? this.#flush() : undefined;
    }
    return this.#record(permit.generation, {
      failed,
      ...(permit.probe ? { leaseId: permit.leaseId } : {}),
    });
  }

  /** Sends the held successes, if any (one record per generation, usually one). */
  async #flush(): Promise<RecordResult | undefined> {
    if (this.#successes.size === 0) return undefined;
    const held = [...this.#successes];
    this.#successes.clear();
    this.#batch = undefined;
    const results = await Promise.all(
      held.map(([generation, calls]) => this.#record(generation, { failed: false, calls })),
    );
    return results.at(-1);
  }

  async #record(
    generation: number,
    outcome: { failed: boolean; calls?: number; leaseId?: string },
  ): Promise<RecordResult | undefined> {
    try {
      const result = await this.#store.record(this.name, {
        config: this.config,
        now: this.#clock(),
        generation,
        ...outcome,
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
