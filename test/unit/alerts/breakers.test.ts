import { expect, test } from "vitest";
import { breakerAlerts, STILL_OPEN_AFTER_MS } from "../../../shared/alerts/breakers.ts";
import type { BreakerStats } from "../../../shared/resilience/breaker/store.ts";

const NOW = Date.UTC(2026, 11, 7, 9, 30);

function stats(fields: Partial<BreakerStats>): BreakerStats {
  return {
    name: "openai",
    state: "closed",
    failureCount: 0,
    successCount: 0,
    failureRate: 0,
    consecutiveFailures: 0,
    lastFailureTime: null,
    lastSuccessTime: null,
    lastStateChange: null,
    openUntil: null,
    openSince: null,
    generation: 0,
    ...fields,
  };
}

test("an open breaker is one opened alert per outage, named by when the outage began", () => {
  const since = NOW - 30_000;
  const open = stats({
    state: "open",
    openSince: since,
    openUntil: NOW + 30_000,
    lastStateChange: since,
  });
  expect(breakerAlerts(open, NOW)).toEqual([
    {
      alert: {
        kind: "breaker_opened",
        breaker: "openai",
        at: NOW,
        openSince: since,
        openUntil: NOW + 30_000,
      },
      id: `openai:breaker_opened:${since}`,
    },
  ]);
  // Half-open, or re-opened in the same outage: the same id, so no second alert.
  const later = stats({ state: "half_open", openSince: since, lastStateChange: NOW - 1_000 });
  expect(breakerAlerts(later, NOW + 60_000).map((a) => a.id)).toEqual([
    `openai:breaker_opened:${since}`,
  ]);
});

test("the database breaker open is its own alert: webhooks answer 503", () => {
  const since = NOW - 1_000;
  const [alert] = breakerAlerts(stats({ name: "postgres", state: "open", openSince: since }), NOW);
  expect(alert).toMatchObject({
    alert: { kind: "database_open" },
    id: `postgres:database_open:${since}`,
  });
});

test("after five minutes open a breaker also gets a still-open alert, once per outage", () => {
  const since = NOW - STILL_OPEN_AFTER_MS - 1;
  const ids = breakerAlerts(stats({ state: "open", openSince: since }), NOW).map((a) => a.id);
  expect(ids).toEqual([`openai:breaker_opened:${since}`, `openai:still_open:${since}`]);
});

test("a breaker that closed recently is one closed alert; a long-closed or never-opened one none", () => {
  const closedAt = NOW - 60_000;
  expect(breakerAlerts(stats({ lastStateChange: closedAt }), NOW)).toEqual([
    {
      alert: { kind: "breaker_closed", breaker: "openai", at: NOW },
      id: `openai:closed:${closedAt}`,
    },
  ]);
  expect(breakerAlerts(stats({ lastStateChange: NOW - 11 * 60_000 }), NOW)).toEqual([]);
  expect(breakerAlerts(stats({ failureCount: 3 }), NOW)).toEqual([]);
});
