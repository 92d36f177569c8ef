import { expect, test } from "vitest";
import { forRedis } from "../../dev/upstash-gateway/lua.ts";

test("drops allow-key-locking but keeps the #!lua line, so line numbers stay right", () => {
  expect(forRedis("#!lua flags=allow-key-locking\nreturn 1\n")).toBe("#!lua\nreturn 1\n");
});

test("keeps the other shebang flags", () => {
  expect(forRedis("#!lua flags=no-writes,allow-key-locking,allow-stale\nreturn 1")).toBe(
    "#!lua flags=no-writes,allow-stale\nreturn 1",
  );
});

test("handles a CRLF shebang line", () => {
  expect(forRedis("#!lua flags=allow-key-locking\r\nreturn 1")).toBe("#!lua\r\nreturn 1");
});

test("leaves scripts without the flag untouched", () => {
  for (const script of ["return 1", "#!lua\nreturn 1", "#!lua flags=no-writes\nreturn 1"]) {
    expect(forRedis(script)).toBe(script);
  }
});
