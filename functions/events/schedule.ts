/** Standard Webhooks' (and Svix's) schedule: eight attempts over about 32 hours. */
export const DEFAULT_RETRY_SCHEDULE = "5s,5m,30m,2h,5h,10h,10h";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DELAY = /^(\d{1,9})(ms|s|m|h|d)$/;

/**
 * `5s,5m,30m,2h` as milliseconds. Throws, naming the bad item, on anything else: an empty list,
 * a bare number (seconds or milliseconds?), a negative or fractional delay.
 */
export function parseRetrySchedule(text: string): number[] {
  const items = text.split(",").map((item) => item.trim());
  return items.map((item) => {
    const match = DELAY.exec(item);
    if (!match) throw new Error(`has "${item}", not a delay such as 5s, 5m, 2h or 500ms`);
    return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  });
}

/** The delay after attempt `attempt` (1 is the first) failed, or undefined when none is left. */
export function retryDelayMs(schedule: readonly number[], attempt: number): number | undefined {
  return schedule[attempt - 1];
}
