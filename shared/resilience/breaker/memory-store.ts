import { type BreakerConfig, openPeriodMs } from "./config.ts";
import type {
  BreakerState,
  BreakerStats,
  BreakerStore,
  GateRequest,
  GateResult,
  RecordRequest,
  RecordResult,
} from "./store.ts";
import { type Slot, slotAt, windowTotals } from "./window.ts";

const STATES: BreakerState[] = ["closed", "open", "half_open"];

interface Entry {
  state: 0 | 1 | 2;
  generation: number;
  consecutiveFailures: number;
  trips: number;
  openUntil: number;
  openSince: number | null;
  lastStateChange: number | null;
  lastFailureTime: number | null;
  lastSuccessTime: number | null;
  maxNow: number;
  halfOpenSuccesses: number;
  windowMs: number;
  slots: Slot[];
  /** Probe lease id → expiry (ms). */
  leases: Map<string, number>;
}

function fresh(windowMs: number): Entry {
  return {
    state: 0,
    generation: 0,
    consecutiveFailures: 0,
    trips: 0,
    openUntil: 0,
    openSince: null,
    lastStateChange: null,
    lastFailureTime: null,
    lastSuccessTime: null,
    maxNow: 0,
    halfOpenSuccesses: 0,
    windowMs,
    slots: [],
    leases: new Map(),
  };
}

/**
 * Breaker state in this isolate's memory, with the same semantics as the Redis scripts
 * (lua.ts): the embedded default for one instance, and the fallback while Redis is unreachable.
 * Every method completes synchronously; the promises only match the store interface.
 */
export class MemoryBreakerStore implements BreakerStore {
  readonly #entries = new Map<string, Entry>();

  async gate(name: string, { config, now, leaseId }: GateRequest): Promise<GateResult> {
    const entry = this.#entries.get(name);
    if (!entry || entry.state === 0) {
      return { decision: "allow", state: "closed", generation: entry?.generation ?? 0 };
    }
    now = Math.max(now, entry.maxNow);
    if (entry.state === 1) {
      if (now < entry.openUntil) {
        return {
          decision: "reject",
          state: "open",
          generation: entry.generation,
          retryAt: entry.openUntil,
        };
      }
      this.#transition(entry, 2, now);
    }
    for (const [id, expiry] of entry.leases) if (expiry <= now) entry.leases.delete(id);
    if (entry.leases.size < config.halfOpenMaxCalls) {
      entry.leases.set(leaseId, now + config.probeLeaseMs);
      return { decision: "probe", state: "half_open", generation: entry.generation };
    }
    const retryAt = Math.min(...entry.leases.values());
    return { decision: "reject", state: "half_open", generation: entry.generation, retryAt };
  }

  async record(name: string, request: RecordRequest): Promise<RecordResult> {
    const { config, generation, failed, leaseId, jitter } = request;
    let entry = this.#entries.get(name);
    if (!entry) this.#entries.set(name, (entry = fresh(config.windowMs)));
    const now = Math.max(request.now, entry.maxNow);
    if (generation !== entry.generation) return this.#result(entry, true);
    entry.maxNow = now;
    entry.windowMs = config.windowMs;
    this.#count(entry, now, failed, request.calls ?? 1);
    let transition: RecordResult["transition"];
    if (entry.state === 0) {
      entry.consecutiveFailures = failed ? entry.consecutiveFailures + 1 : 0;
      if (this.#shouldTrip(entry, config, now)) {
        this.#open(entry, config, now, jitter);
        transition = "opened";
      }
    } else if (entry.state === 2) {
      if (leaseId) entry.leases.delete(leaseId);
      if (failed) {
        this.#open(entry, config, now, jitter);
        transition = "reopened";
      } else if (++entry.halfOpenSuccesses >= config.successThreshold) {
        entry.trips = 0;
        entry.openSince = null;
        this.#transition(entry, 0, now);
        transition = "closed";
      }
    }
    return { ...this.#result(entry, false), ...(transition ? { transition } : {}) };
  }

  async stats(now: number): Promise<BreakerStats[]> {
    return [...this.#entries].map(([name, e]) => {
      const totals = windowTotals(e.slots, Math.max(now, e.maxNow), e.windowMs);
      return {
        name,
        state: STATES[e.state]!,
        failureCount: totals.failed,
        successCount: totals.ok,
        failureRate: totals.total ? totals.failed / totals.total : 0,
        consecutiveFailures: e.consecutiveFailures,
        lastFailureTime: e.lastFailureTime,
        lastSuccessTime: e.lastSuccessTime,
        lastStateChange: e.lastStateChange,
        openUntil: e.state === 1 ? e.openUntil : null,
        openSince: e.openSince,
        generation: e.generation,
      };
    });
  }

  async halfOpen(name: string, now: number): Promise<boolean> {
    const entry = this.#entries.get(name);
    if (!entry || entry.state !== 1) return false;
    this.#transition(entry, 2, Math.max(now, entry.maxNow));
    return true;
  }

  #shouldTrip(entry: Entry, config: BreakerConfig, now: number): boolean {
    if (entry.consecutiveFailures >= config.failureThreshold) return true;
    const rate = config.failureRate;
    if (!rate) return false;
    const { failed, total } = windowTotals(entry.slots, now, config.windowMs);
    return total >= rate.minimumCalls && failed / total >= rate.threshold;
  }

  #count(entry: Entry, now: number, failed: boolean, calls: number) {
    const { index, epoch } = slotAt(now, entry.windowMs);
    const slot = entry.slots[index];
    if (!slot || slot.epoch !== epoch) entry.slots[index] = { epoch, ok: 0, failed: 0 };
    if (failed) entry.slots[index]!.failed += calls;
    else entry.slots[index]!.ok += calls;
    if (failed) entry.lastFailureTime = now;
    else entry.lastSuccessTime = now;
  }

  #open(entry: Entry, config: BreakerConfig, now: number, jitter: number) {
    if (entry.trips++ === 0) entry.openSince = now;
    entry.openUntil = now + openPeriodMs(config, entry.trips, jitter);
    this.#transition(entry, 1, now);
  }

  /**
   * Every transition bumps the generation. Closing also empties the window, so failures from
   * before the outage can't trip the recovered breaker; opening keeps it, for the stats.
   */
  #transition(entry: Entry, state: 0 | 1 | 2, now: number) {
    entry.state = state;
    entry.generation++;
    entry.lastStateChange = now;
    entry.maxNow = Math.max(entry.maxNow, now);
    entry.consecutiveFailures = 0;
    entry.halfOpenSuccesses = 0;
    entry.leases.clear();
    if (state === 0) entry.slots = [];
  }

  #result(entry: Entry, stale: boolean): RecordResult {
    return {
      state: STATES[entry.state]!,
      generation: entry.generation,
      ...(entry.state === 1 ? { openUntil: entry.openUntil } : {}),
      stale,
    };
  }
}
