import { type Redis, pairs } from "../../clients/redis.ts";
import { type LuaScript, SCRIPTS, runScript } from "./lua.ts";
import type {
  BreakerState,
  BreakerStats,
  BreakerStore,
  GateRequest,
  GateResult,
  RecordRequest,
  RecordResult,
} from "./store.ts";
import { type Slot, WINDOW_SLOTS, windowTotals } from "./window.ts";

const STATES: BreakerState[] = ["closed", "open", "half_open"];
const DECISIONS: GateResult["decision"][] = ["reject", "allow", "probe"];
const TRANSITIONS = [undefined, "opened", "closed", "reopened"] as const;

export interface RedisBreakerStoreOptions {
  redis: Redis;
  /** One prefix per deployment, e.g. `bw:`. */
  prefix: string;
  /** Send `#!lua flags=allow-key-locking` (Upstash); plain Redis 7 rejects it. */
  keyLocking?: boolean;
  /** Idle breakers' keys expire after this long (refreshed on every report). */
  ttlMs?: number;
}

const num = (value: unknown) => (value === null || value === undefined ? null : Number(value));

/** Breaker state in Redis, shared by every isolate and changed only by the scripts in lua.ts. */
export class RedisBreakerStore implements BreakerStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #keyLocking: boolean;
  readonly #ttlMs: number;

  constructor(options: RedisBreakerStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#keyLocking = options.keyLocking ?? false;
    this.#ttlMs = options.ttlMs ?? 7 * 24 * 3600_000;
  }

  async gate(name: string, { config, now, leaseId }: GateRequest): Promise<GateResult> {
    const args = [now, leaseId, config.halfOpenMaxCalls, config.probeLeaseMs];
    const [decision, state, generation, retryAt] = await this.#run<number[]>(
      SCRIPTS.gate,
      this.#keys(name).slice(0, 2),
      args,
    );
    return {
      decision: DECISIONS[decision!]!,
      state: STATES[state!]!,
      generation: generation!,
      ...(retryAt ? { retryAt } : {}),
    };
  }

  async record(name: string, request: RecordRequest): Promise<RecordResult> {
    const { config } = request;
    const args = [
      request.now,
      request.generation,
      request.failed ? 1 : 0,
      request.leaseId ?? "",
      config.failureThreshold,
      config.failureRate?.threshold ?? 0,
      config.failureRate?.minimumCalls ?? 0,
      config.windowMs,
      config.successThreshold,
      config.resetTimeoutMs,
      config.maxResetTimeoutMs,
      request.jitter,
      name,
      this.#ttlMs,
      request.calls ?? 1,
    ];
    const [state, generation, openUntil, transition, stale] = await this.#run<number[]>(
      SCRIPTS.record,
      this.#keys(name),
      args,
    );
    const transitionName = TRANSITIONS[transition!];
    return {
      state: STATES[state!]!,
      generation: generation!,
      ...(state === 1 ? { openUntil: openUntil! } : {}),
      ...(transitionName ? { transition: transitionName } : {}),
      stale: stale === 1,
    };
  }

  async stats(now: number): Promise<BreakerStats[]> {
    const names = (await this.#redis.send(["SMEMBERS", `${this.#prefix}cb:index`])) as string[];
    // Sent in one tick: one round trip for every hash.
    const hashes = (await Promise.all(
      names.map((name) => this.#redis.send(["HGETALL", `${this.#prefix}cb:${name}`])),
    )) as string[][];
    return names.flatMap((name, i) => {
      const h = hashes[i]!;
      // An empty hash expired since the index named it.
      return h.length > 0 ? [statsFrom(name, pairs(h), now)] : [];
    });
  }

  async halfOpen(name: string, now: number): Promise<boolean> {
    const moved = await this.#run<number>(SCRIPTS.halfOpen, this.#keys(name).slice(0, 2), [now]);
    return moved === 1;
  }

  #keys(name: string): string[] {
    const hash = `${this.#prefix}cb:${name}`;
    return [hash, `${hash}:leases`, `${this.#prefix}cb:index`];
  }

  async #run<T>(script: LuaScript, keys: string[], args: (string | number)[]): Promise<T> {
    return (await runScript(this.#redis, script, {
      keyLocking: this.#keyLocking,
      keys,
      args,
    })) as T;
  }
}

/** One breaker's stats from its Redis hash (also read by the status page's own script). */
export function statsFrom(name: string, h: Record<string, unknown>, now: number): BreakerStats {
  const windowMs = num(h.win) ?? 60_000;
  const slots: Slot[] = [];
  for (let i = 0; i < WINDOW_SLOTS; i++) {
    const epoch = num(h[`s${i}e`]);
    if (epoch !== null)
      slots.push({ epoch, ok: num(h[`s${i}ok`]) ?? 0, failed: num(h[`s${i}f`]) ?? 0 });
  }
  const totals = windowTotals(slots, Math.max(now, num(h.maxNow) ?? 0), windowMs);
  const state = STATES[num(h.st) ?? 0]!;
  return {
    name,
    state,
    failureCount: totals.failed,
    successCount: totals.ok,
    failureRate: totals.total ? totals.failed / totals.total : 0,
    consecutiveFailures: num(h.consec) ?? 0,
    lastFailureTime: num(h.lastFail),
    lastSuccessTime: num(h.lastOk),
    lastStateChange: num(h.changed),
    openUntil: state === "open" ? num(h.openUntil) : null,
    openSince: state === "closed" ? null : num(h.since) || null,
    generation: num(h.gen) ?? 0,
  };
}
