import type { Logger } from "../../http/logger.ts";
import { CircuitBreaker, isBrokenCircuitError } from "./breaker.ts";
import { breakerConfig } from "./config.ts";
import { MemoryBreakerStore } from "./memory-store.ts";
import type { BreakerStore } from "./store.ts";

export type StoreMode = "redis" | "memory";

// Redis's own breaker: after 3 failed calls, stop paying Redis's timeout for 5 s, then try once.
const REDIS_BREAKER = breakerConfig({
  failureThreshold: 3,
  resetTimeoutMs: 5_000,
  maxResetTimeoutMs: 30_000,
  halfOpenMaxCalls: 1,
  successThreshold: 1,
  probeLeaseMs: 1_000,
});

/**
 * Breaker state in Redis, degrading to this isolate's memory while Redis is unreachable, so a
 * Redis outage never fails a request. Redis calls go through their own in-memory breaker;
 * the switch both ways is logged, and `mode` tells health which store is in use.
 */
export class FallbackBreakerStore implements BreakerStore {
  readonly #primary: BreakerStore;
  readonly #memory = new MemoryBreakerStore();
  readonly #redisBreaker: CircuitBreaker;
  readonly #log: Logger | undefined;
  #mode: StoreMode = "redis";

  constructor(primary: BreakerStore, options: { log?: Logger; clock?: () => number } = {}) {
    this.#primary = primary;
    this.#log = options.log;
    this.#redisBreaker = new CircuitBreaker({
      name: "redis",
      config: REDIS_BREAKER,
      store: new MemoryBreakerStore(),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  }

  get mode(): StoreMode {
    return this.#mode;
  }

  /** Redis's own breaker is open: other Redis users (rate limits) should not wait on it either. */
  get redisDown(): boolean {
    return this.#redisBreaker.knownOpen;
  }

  gate: BreakerStore["gate"] = (name, request) => this.#use((store) => store.gate(name, request));
  record: BreakerStore["record"] = (name, request) =>
    this.#use((store) => store.record(name, request));
  stats: BreakerStore["stats"] = (now) => this.#use((store) => store.stats(now));
  halfOpen: BreakerStore["halfOpen"] = (name, now) =>
    this.#use((store) => store.halfOpen(name, now));

  async #use<T>(operation: (store: BreakerStore) => Promise<T>): Promise<T> {
    let permit;
    try {
      permit = await this.#redisBreaker.acquire();
    } catch (error) {
      if (!isBrokenCircuitError(error)) throw error;
      return operation(this.#memory);
    }
    const started = Date.now();
    try {
      const result = await operation(this.#primary);
      void this.#redisBreaker.report(permit, { ok: true, durationMs: Date.now() - started });
      if (this.#mode === "memory") this.#log?.info("breaker state store recovered: using Redis");
      this.#mode = "redis";
      return result;
    } catch (error) {
      void this.#redisBreaker.report(permit, { ok: false, durationMs: Date.now() - started });
      if (this.#mode === "redis") {
        this.#log?.warn("breaker state store unreachable: using in-isolate memory", { error });
      }
      this.#mode = "memory";
      return operation(this.#memory);
    }
  }
}
