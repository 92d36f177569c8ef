import type { BreakerStats } from "../resilience/breaker/store.ts";
import type { Alert } from "./format.ts";

/** The database's breaker (shared/clients/database.ts): while open, webhooks answer 503. */
const DATABASE_BREAKER = "postgres";
/** An outage this long is worth a second alert. */
export const STILL_OPEN_AFTER_MS = 5 * 60_000;
/** A closing older than this predates the runs that could have seen its outage: no alert. */
const RECENTLY_CLOSED_MS = 10 * 60_000;

/**
 * The alerts a breaker's stats call for right now, each with the id that makes it one alert per
 * outage however many runs (and isolates, and platforms' crons) see it: an outage is named by
 * the time it began, a closing by the time it closed.
 */
export function breakerAlerts(breaker: BreakerStats, now: number): { alert: Alert; id: string }[] {
  const { name, openSince } = breaker;
  if (openSince !== null) {
    const kind = name === DATABASE_BREAKER ? "database_open" : "breaker_opened";
    const openUntil = breaker.openUntil ?? undefined;
    const alerts = [
      {
        alert: { kind, breaker: name, at: now, openSince, ...(openUntil ? { openUntil } : {}) },
        id: `${name}:${kind}:${openSince}`,
      } as const,
    ];
    if (now - openSince <= STILL_OPEN_AFTER_MS) return alerts;
    return [
      ...alerts,
      {
        alert: { kind: "breaker_still_open", breaker: name, at: now, openSince },
        id: `${name}:still_open:${openSince}`,
      },
    ];
  }
  // A closed breaker's last transition was its closing (`lastStateChange` moves only on one).
  const closedAt = breaker.lastStateChange;
  if (closedAt === null || now - closedAt > RECENTLY_CLOSED_MS) return [];
  return [
    { alert: { kind: "breaker_closed", breaker: name, at: now }, id: `${name}:closed:${closedAt}` },
  ];
}
