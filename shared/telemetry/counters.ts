import type { Redis } from "../clients/redis.ts";
import { perEnv } from "../env/per-env.ts";
import { parseEnv } from "../env/schema.ts";
import { upstashTogether, upstashVars } from "../env/vars.ts";
import { resilienceState } from "../resilience/state.ts";

export const HOUR_MS = 3600_000;
/** An hour's counters outlive the status page's 24-hour view by an hour, then expire. */
const KEEP_MS = 25 * HOUR_MS;

/** What a webhook delivery came to, as the status page counts it per provider and hour. */
export type WebhookCount = "received" | "duplicate" | "refused" | "unavailable";

/**
 * Fleet-wide counts per hour of what Postgres never sees (refused signatures, duplicates answered
 * from Redis, 503s while the database is down). One Redis hash per hour, `<prefix>stats:<hour>`,
 * fields `<provider>:<count>`; in isolate memory without Upstash.
 */
export interface HourlyCounters {
  /** Adds one to each field in the current hour; one Redis round trip, meant for `waitUntil`. */
  add(fields: string[], now?: number): Promise<void>;
  /** The memory counts of the hours starting at `hours` (Redis counts are read by their key). */
  memory(hours: number[]): Record<string, number>[];
  /** The Redis key of the hour starting at `hour`. */
  key(hour: number): string;
}

export const hourOf = (time: number) => time - (time % HOUR_MS);

export function createHourlyCounters(options: {
  redis: Redis | undefined;
  prefix: string;
}): HourlyCounters {
  const { redis, prefix } = options;
  const local = new Map<number, Record<string, number>>();
  const key = (hour: number) => `${prefix}stats:${hour}`;
  return {
    key,
    async add(fields, now = Date.now()) {
      const hour = hourOf(now);
      if (redis) {
        // Issued in the same tick: they travel in one request.
        await Promise.all([
          ...fields.map((field) => redis.send(["HINCRBY", key(hour), field, 1])),
          redis.send(["PEXPIRE", key(hour), KEEP_MS]),
        ]);
        return;
      }
      for (const old of local.keys()) if (old < hour - KEEP_MS) local.delete(old);
      const counts = local.get(hour) ?? {};
      for (const field of fields) counts[field] = (counts[field] ?? 0) + 1;
      local.set(hour, counts);
    },
    memory: (hours) => hours.map((hour) => ({ ...local.get(hour) })),
  };
}

/** The isolate's counters, shared by every function in it (like its resilience state). */
export const hourlyCounters = perEnv((source) => {
  const env = parseEnv(upstashVars, source, { together: upstashTogether });
  return createHourlyCounters({
    redis: resilienceState(source).redis,
    prefix: env.STATE_KEY_PREFIX,
  });
});
