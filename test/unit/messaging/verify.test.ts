// Verification codes: drawn without bias, stored only as keyed hashes, checked with a fixed number
// of attempts; the in-memory store (the embedded default) keeps the Redis store's semantics.
import { describe, expect, test } from "vitest";
import { countryOf } from "../../../functions/messaging/countries.ts";
import {
  MAX_ATTEMPTS,
  codeHash,
  codeKey,
  generateCode,
  memoryVerifications,
} from "../../../functions/messaging/verify.ts";

test("codes are 6 digits, leading zeros kept, and spread evenly over the digits", () => {
  const counts = Array(10).fill(0);
  for (let i = 0; i < 20_000; i++) {
    const code = generateCode();
    expect(code).toMatch(/^\d{6}$/);
    for (const digit of code) counts[Number(digit)]++;
  }
  // 120 000 digits, 12 000 expected each: a biased draw would skew the low digits.
  for (const count of counts) expect(Math.abs(count - 12_000)).toBeLessThan(600);
});

test("the stored hash depends on the key, the phone and the code, and never contains the code", async () => {
  const key = await codeKey("twilio-secret");
  const hash = await codeHash(key, "+15005550006", "123456");
  expect(hash).toMatch(/^v1:[0-9a-f]{64}$/);
  expect(hash).not.toContain("123456");
  expect(await codeHash(key, "+15005550007", "123456")).not.toBe(hash);
  expect(await codeHash(await codeKey("other-secret"), "+15005550006", "123456")).not.toBe(hash);
});

describe("the in-memory store", () => {
  const phone = "+15005550006";

  test("the right code is approved once", async () => {
    const store = memoryVerifications();
    await store.start(phone, "h1", 600);
    expect(await store.check(phone, "h1")).toEqual({ result: "approved" });
    expect(await store.check(phone, "h1")).toEqual({ result: "not_found" });
  });

  test(`${MAX_ATTEMPTS} wrong codes end it: the right one then finds nothing`, async () => {
    const store = memoryVerifications();
    await store.start(phone, "h1", 600);
    const left = [];
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      const checked = await store.check(phone, "wrong");
      left.push(checked.result === "invalid" ? checked.attemptsLeft : checked.result);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    expect(await store.check(phone, "h1")).toEqual({ result: "not_found" });
  });

  test("a new start replaces the pending code and its attempts", async () => {
    const store = memoryVerifications();
    await store.start(phone, "h1", 600);
    await store.check(phone, "wrong");
    await store.start(phone, "h2", 600);
    expect(await store.check(phone, "h1")).toEqual({ result: "invalid", attemptsLeft: 4 });
    expect(await store.check(phone, "h2")).toEqual({ result: "approved" });
  });

  test("an expired verification is not found", async () => {
    let now = 0;
    const store = memoryVerifications(() => now);
    await store.start(phone, "h1", 600);
    now = 600_000;
    expect(await store.check(phone, "h1")).toEqual({ result: "not_found" });
  });
});

test.each([
  ["+15005550006", "US"],
  ["+12045550123", "CA"],
  ["+18765550123", "JM"],
  ["+447700900123", "GB"],
  ["+77012345678", "KZ"],
  ["+79161234567", "RU"],
  ["+4915112345678", "DE"],
  ["+35312345678", "IE"],
  ["+8801712345678", "BD"],
  ["+99999999", undefined],
])("the country of %s is %s", (number, country) => {
  expect(countryOf(number)).toBe(country);
});
