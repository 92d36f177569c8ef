import { describe, expect, test } from "vitest";
import { breakerConfig } from "../../../shared/resilience/breaker/config.ts";
import type { BreakerStore, RecordRequest } from "../../../shared/resilience/breaker/store.ts";

/** Small numbers so every transition is reached in a few calls. */
export const config = breakerConfig({
  failureThreshold: 3,
  windowMs: 10_000,
  resetTimeoutMs: 1_000,
  maxResetTimeoutMs: 3_000,
  halfOpenMaxCalls: 2,
  successThreshold: 2,
  probeLeaseMs: 500,
});

const T0 = 1_800_000_000_000;
let counter = 0;
const lease = () => `lease-${++counter}`;

/** Helpers over one store and one breaker name. */
function on(store: BreakerStore, name: string, cfg = config) {
  const gate = (now: number) => store.gate(name, { config: cfg, now, leaseId: lease() });
  const record = (
    now: number,
    generation: number,
    failed: boolean,
    extra: Partial<RecordRequest> = {},
  ) => store.record(name, { config: cfg, now, generation, failed, jitter: 1, ...extra });
  const fail = async (now: number, times: number) => {
    let last;
    for (let i = 0; i < times; i++) last = await record(now, (await gate(now)).generation, true);
    return last!;
  };
  const stats = async (now: number) => (await store.stats(now)).find((s) => s.name === name);
  return { gate, record, fail, stats };
}

/**
 * The behaviour every BreakerStore must have, run against each implementation
 * (breaker-store.test.ts): memory, and Redis through the local Upstash gateway.
 */
export function breakerStoreContract(kind: string, makeStore: () => BreakerStore) {
  describe(`${kind} breaker store`, () => {
    const fresh = () => {
      const store = makeStore();
      return { store, b: on(store, `upstream-${++counter}`) };
    };

    test("a new breaker is closed and allows calls", async () => {
      const { b } = fresh();
      expect(await b.gate(T0)).toMatchObject({ decision: "allow", state: "closed" });
    });

    test("consecutive failures reaching the threshold open it, once", async () => {
      const { b } = fresh();
      expect((await b.fail(T0, 2)).state).toBe("closed");
      const third = await b.fail(T0, 1);
      expect(third).toMatchObject({ state: "open", transition: "opened", openUntil: T0 + 1_000 });
      expect(await b.gate(T0 + 999)).toMatchObject({
        decision: "reject",
        state: "open",
        retryAt: T0 + 1_000,
      });
    });

    test("a success resets the consecutive failure count", async () => {
      const { b } = fresh();
      await b.fail(T0, 2);
      await b.record(T0, 0, false);
      expect((await b.fail(T0, 2)).state).toBe("closed");
    });

    test("a failure rate at the threshold over the minimum volume opens it", async () => {
      const cfg = breakerConfig({
        ...config,
        failureThreshold: 100,
        failureRate: { threshold: 0.5, minimumCalls: 10 },
      });
      const b = on(makeStore(), `rate-${++counter}`, cfg);
      for (let i = 0; i < 5; i++) await b.record(T0, 0, false);
      for (let i = 0; i < 4; i++) expect((await b.record(T0, 0, true)).state).toBe("closed");
      expect(await b.record(T0, 0, true)).toMatchObject({ state: "open", transition: "opened" });
    });

    test("below the minimum volume a high failure rate does not open it", async () => {
      const cfg = breakerConfig({
        ...config,
        failureThreshold: 100,
        failureRate: { threshold: 0.5, minimumCalls: 10 },
      });
      const b = on(makeStore(), `volume-${++counter}`, cfg);
      for (let i = 0; i < 9; i++) expect((await b.record(T0, 0, true)).state).toBe("closed");
    });

    test("failures older than the window do not count towards the rate", async () => {
      const cfg = breakerConfig({
        ...config,
        failureThreshold: 100,
        failureRate: { threshold: 0.5, minimumCalls: 4 },
      });
      const b = on(makeStore(), `window-${++counter}`, cfg);
      for (let i = 0; i < 3; i++) await b.record(T0, 0, true);
      const later = T0 + cfg.windowMs + 1;
      for (let i = 0; i < 3; i++) expect((await b.record(later, 0, false)).state).toBe("closed");
      expect((await b.record(later, 0, true)).state).toBe("closed"); // 1 of 4 in the window
    });

    test("after the open period at most halfOpenMaxCalls probes are admitted", async () => {
      const { b } = fresh();
      await b.fail(T0, 3);
      const at = T0 + 1_000;
      const gates = [await b.gate(at), await b.gate(at), await b.gate(at)];
      expect(gates.map((g) => g.decision)).toEqual(["probe", "probe", "reject"]);
      expect(gates[2]).toMatchObject({ state: "half_open", retryAt: at + config.probeLeaseMs });
    });

    test("successThreshold probe successes close it", async () => {
      const { b } = fresh();
      await b.fail(T0, 3);
      const at = T0 + 1_000;
      const p1 = await b.gate(at);
      const p2 = await b.gate(at);
      expect((await b.record(at, p1.generation, false)).state).toBe("half_open");
      expect(await b.record(at, p2.generation, false)).toMatchObject({
        state: "closed",
        transition: "closed",
      });
      expect(await b.gate(at)).toMatchObject({ decision: "allow" });
    });

    test("a probe failure re-opens it, each consecutive trip for longer, capped", async () => {
      const { b } = fresh();
      await b.fail(T0, 3); // open for 1 s
      let at = T0 + 1_000;
      let probe = await b.gate(at);
      expect(await b.record(at, probe.generation, true)).toMatchObject({
        state: "open",
        transition: "reopened",
        openUntil: at + 2_000,
      });
      at += 2_000;
      probe = await b.gate(at);
      expect((await b.record(at, probe.generation, true)).openUntil).toBe(at + 3_000); // capped
    });

    test("closing resets the open period to its base", async () => {
      const { b } = fresh();
      await b.fail(T0, 3);
      let at = T0 + 1_000;
      let probe = await b.gate(at);
      await b.record(at, probe.generation, true); // re-opened for 2 s
      at += 2_000;
      const [p1, p2] = [await b.gate(at), await b.gate(at)];
      await b.record(at, p1.generation, false);
      await b.record(at, p2.generation, false); // closed
      expect((await b.fail(at, 3)).openUntil).toBe(at + 1_000);
    });

    test("an expired probe lease frees its slot, so a dead prober cannot wedge the breaker", async () => {
      const { b } = fresh();
      await b.fail(T0, 3);
      const at = T0 + 1_000;
      await b.gate(at);
      await b.gate(at); // both slots taken by probers that never report
      expect((await b.gate(at + config.probeLeaseMs - 1)).decision).toBe("reject");
      expect((await b.gate(at + config.probeLeaseMs)).decision).toBe("probe");
    });

    test("an outcome reported under an old generation is ignored", async () => {
      const { b } = fresh();
      const admitted = await b.gate(T0); // generation 0, closed
      await b.fail(T0, 3); // opened: generation 1
      const at = T0 + 1_000;
      const probe = await b.gate(at); // half-open: generation 2
      await b.record(at, probe.generation, true); // re-opened: generation 3
      const late = await b.record(at, admitted.generation, false);
      expect(late).toMatchObject({ stale: true, state: "open" });
      expect((await b.gate(at)).decision).toBe("reject");
    });

    test("stored time never runs backwards when a caller's clock is behind", async () => {
      const { b } = fresh();
      await b.fail(T0, 3);
      await b.gate(T0 + 1_000); // half-open at T0 + 1 s
      const skewed = await b.gate(T0 - 60_000); // a clock a minute behind still sees half-open
      expect(skewed.state).toBe("half_open");
      const probe = await b.gate(T0 + 1_000);
      await b.record(T0 - 60_000, probe.generation, false);
      const stats = await b.stats(T0);
      expect(stats!.lastSuccessTime).toBeGreaterThanOrEqual(stats!.lastStateChange!);
    });

    test("stats report state, counts, rate and times", async () => {
      const { b } = fresh();
      await b.record(T0, 0, false);
      await b.record(T0 + 5, 0, true);
      expect(await b.stats(T0 + 10)).toEqual({
        name: expect.any(String),
        state: "closed",
        failureCount: 1,
        successCount: 1,
        failureRate: 0.5,
        consecutiveFailures: 1,
        lastFailureTime: T0 + 5,
        lastSuccessTime: T0,
        lastStateChange: null,
        openUntil: null,
        openSince: null,
        generation: 0,
      });
      await b.fail(T0 + 20, 2);
      expect(await b.stats(T0 + 20)).toMatchObject({
        state: "open",
        openUntil: T0 + 1_020,
        lastStateChange: T0 + 20,
      });
    });

    test("halfOpen moves an open breaker to half-open now, and nothing else", async () => {
      const { store, b } = fresh();
      await b.fail(T0, 3);
      const stats = (await b.stats(T0))!;
      expect(await store.halfOpen(stats.name, T0 + 10)).toBe(true);
      expect(await b.gate(T0 + 10)).toMatchObject({ decision: "probe", state: "half_open" });
      expect(await store.halfOpen(stats.name, T0 + 10)).toBe(false);
    });

    test("concurrent callers in half-open: exactly halfOpenMaxCalls get a probe", async () => {
      const { b } = fresh();
      await b.fail(T0, 3);
      const gates = await Promise.all(Array.from({ length: 20 }, () => b.gate(T0 + 1_000)));
      expect(gates.filter((g) => g.decision === "probe")).toHaveLength(config.halfOpenMaxCalls);
    });

    test("concurrent failing reports open the breaker exactly once", async () => {
      const { b } = fresh();
      const results = await Promise.all(Array.from({ length: 10 }, () => b.record(T0, 0, true)));
      expect(results.filter((r) => r.transition === "opened")).toHaveLength(1);
    });
  });
}
