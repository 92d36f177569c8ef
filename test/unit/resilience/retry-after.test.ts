import { expect, test } from "vitest";
import { parseRetryAfter, retryAfterMs } from "../../../shared/resilience/retry-after.ts";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const headers = (init: Record<string, string>) => new Headers(init);

test("delta-seconds become milliseconds", () => {
  expect(retryAfterMs(headers({ "Retry-After": "7" }), NOW)).toBe(7_000);
  expect(parseRetryAfter(" 0 ", NOW)).toBe(0);
});

test("an IMF-fixdate HTTP-date becomes the milliseconds until it", () => {
  const at = new Date(NOW + 12_000).toUTCString(); // "Thu, 01 Jan 2026 12:00:12 GMT"
  expect(retryAfterMs(headers({ "Retry-After": at }), NOW)).toBe(12_000);
});

test("an obsolete RFC 850 HTTP-date is read too", () => {
  expect(parseRetryAfter("Thursday, 01-Jan-26 12:00:30 GMT", NOW)).toBe(30_000);
});

test("an HTTP-date already past means retry now", () => {
  expect(parseRetryAfter(new Date(NOW - 5_000).toUTCString(), NOW)).toBe(0);
});

test("retry-after-ms wins over Retry-After and may be fractional", () => {
  const both = headers({ "retry-after-ms": "1500.5", "retry-after": "2" });
  expect(retryAfterMs(both, NOW)).toBe(1_500.5);
});

test("a malformed retry-after-ms falls back to Retry-After", () => {
  expect(retryAfterMs(headers({ "retry-after-ms": "soon", "retry-after": "2" }), NOW)).toBe(2_000);
});

test.each(["", "soon", "-1", "1.5", "2 seconds", "NaN"])(
  "malformed Retry-After %j is ignored",
  (value) => {
    expect(retryAfterMs(headers({ "Retry-After": value }), NOW)).toBeUndefined();
  },
);

test("no header means the server said nothing", () => {
  expect(retryAfterMs(headers({}), NOW)).toBeUndefined();
});
