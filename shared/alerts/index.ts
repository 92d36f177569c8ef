import type { Redis } from "../clients/redis.ts";
import { BoundedMap } from "../bounded-map.ts";
import type { Logger } from "../http/logger.ts";
import { CircuitBreaker, isBrokenCircuitError } from "../resilience/breaker/breaker.ts";
import { breakerConfig } from "../resilience/breaker/config.ts";
import { MemoryBreakerStore } from "../resilience/breaker/memory-store.ts";
import { timeout } from "../resilience/timeout.ts";
import { type Alert, type AlertFormat, alertBody } from "./format.ts";

export type { Alert, AlertFormat } from "./format.ts";

export interface Alerts {
  /** Sends `alert` once for the whole fleet (`id` names it); never throws. */
  send(alert: Alert, id: string): Promise<void>;
}

export interface AlertOptions {
  /** The receiver; without it alerts are only the log's `alert` lines. */
  url: string | undefined;
  format: AlertFormat;
  /** Claims each alert fleet-wide; in this isolate's memory without it. */
  redis: Redis | undefined;
  prefix: string;
  log: Logger;
  timeoutMs?: number;
}

/** An alert's claim outlives any outage that could repeat its id. */
const CLAIM_MS = 7 * 24 * 3600_000;
// The receiver's own breaker, in this isolate: a dead chat webhook costs one timeout per minute.
const RECEIVER_BREAKER = breakerConfig({ failureThreshold: 3, resetTimeoutMs: 60_000 });

/**
 * Alerts to a chat webhook (`ALERT_WEBHOOK_URL`), each sent once fleet-wide: the first run to
 * `SET NX` its id in Redis sends it. Sent from the cron run, under the receiver's own breaker
 * and a timeout, so a failing receiver is logged and never reaches a request.
 */
export function createAlerts(options: AlertOptions): Alerts {
  const { url, format, redis, prefix, log } = options;
  const claimedHere = new BoundedMap<string, true>(10_000);
  const receiver = new CircuitBreaker({
    name: "alert-webhook",
    config: RECEIVER_BREAKER,
    store: new MemoryBreakerStore(),
  });
  const attempt = timeout(options.timeoutMs ?? 3_000);

  async function claim(id: string): Promise<boolean> {
    if (redis) {
      try {
        const set = await redis.send(["SET", `${prefix}alert:${id}`, "1", "NX", "PX", CLAIM_MS]);
        return set === "OK";
      } catch (error) {
        log.warn("alert claim failed: claiming in this isolate only", { error });
      }
    }
    if (claimedHere.get(id)) return false;
    claimedHere.set(id, true);
    return true;
  }

  async function deliver(alert: Alert): Promise<void> {
    const permit = await receiver.acquire();
    const started = Date.now();
    let ok = false;
    try {
      const res = await attempt.execute((signal) =>
        fetch(url!, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: alertBody(alert, format),
          signal,
        }),
      );
      await res.body?.cancel();
      ok = res.ok;
      if (!ok) throw new Error(`alert receiver answered ${res.status}`);
    } finally {
      await receiver.report(permit, { ok, durationMs: Date.now() - started });
    }
  }

  return {
    async send(alert, id) {
      try {
        if (!(await claim(id))) return;
        log.alert(`alert: ${alert.kind}`, { breaker: alert.breaker, alertId: id });
        if (url) await deliver(alert);
      } catch (error) {
        const reason = isBrokenCircuitError(error) ? "its breaker is open" : "it failed";
        log.error(`alert not delivered: ${reason}`, { kind: alert.kind, error });
      }
    },
  };
}
