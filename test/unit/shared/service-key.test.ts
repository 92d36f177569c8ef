import { expect, test } from "vitest";
import { bearerToken, isServiceKey } from "../../../shared/auth/service-key.ts";

test("a Bearer header yields its token; any other scheme or an empty one yields none", () => {
  expect(bearerToken("Bearer sk_one")).toBe("sk_one");
  expect(bearerToken("bearer sk_one")).toBe("sk_one");
  expect(bearerToken("Basic c2tfb25lOg==")).toBeUndefined();
  expect(bearerToken("Bearer ")).toBeUndefined();
  expect(bearerToken("Bearer a b")).toBeUndefined();
  expect(bearerToken(undefined)).toBeUndefined();
});

test("a service key matches any configured key and nothing else", () => {
  const keys = ["svc_first", "svc_second"];
  expect(isServiceKey("svc_second", keys)).toBe(true);
  expect(isServiceKey("svc_first", keys)).toBe(true);
  expect(isServiceKey("svc_secon", keys)).toBe(false);
  expect(isServiceKey("svc_second_", keys)).toBe(false);
  expect(isServiceKey("svc_second", [])).toBe(false);
});
