// RFC 9110 §10.2.3: Retry-After = HTTP-date / delay-seconds, where delay-seconds = 1*DIGIT.
const DELAY_SECONDS = /^\d+$/;
// All three HTTP-date forms (IMF-fixdate, RFC 850, asctime) open with the day name; Date.parse
// alone would also read "1.5" or a bare "2" as a date in 2001.
const HTTP_DATE = /^[a-z]{3}/i;
// OpenAI and Azure OpenAI also send `retry-after-ms`, in (possibly fractional) milliseconds.
const MILLISECONDS = /^\d+(\.\d+)?$/;

/**
 * How long a response asks the client to wait before retrying, in ms, or `undefined` when it does
 * not say (or says it in a malformed way, which is ignored as the RateLimit draft requires).
 * `retry-after-ms` wins over `Retry-After` because it is the more precise of the two.
 */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms !== undefined && MILLISECONDS.test(ms)) return Number(ms);
  const value = headers.get("retry-after");
  return value === null ? undefined : parseRetryAfter(value, now);
}

/**
 * One `Retry-After` value in ms from `now`: delay-seconds, or an HTTP-date (a date already past
 * means 0). `undefined` when the value is neither.
 */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim();
  if (DELAY_SECONDS.test(text)) return Number(text) * 1000;
  const date = HTTP_DATE.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
