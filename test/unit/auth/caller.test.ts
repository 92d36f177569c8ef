// Who may call: a service key or a verified Supabase token (401 otherwise), admitted per route (403).
import { Hono } from "hono";
import { SignJWT } from "jose";
import { describe, expect, test } from "vitest";
import {
  type Admits,
  type CallerAuth,
  authenticate,
  requireCaller,
} from "../../../shared/auth/caller.ts";
import { createJwtVerifier } from "../../../shared/auth/jwt.ts";
import { createRootApp } from "../../../shared/http/app.ts";

const SECRET = "caller-test-jwt-secret-of-32-characters!";
const auth: CallerAuth = {
  serviceKeys: ["svc-key-1", "svc-key-2"],
  verifyJwt: createJwtVerifier({ secret: SECRET }),
};

const token = (claims: Record<string, unknown> = {}) =>
  new SignJWT({ role: "authenticated", ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("user-9")
    .setAudience("authenticated")
    .setExpirationTime("1h")
    .sign(new TextEncoder().encode(SECRET));

test("a service key is a service caller, identified by a digest of its key, never the key", async () => {
  const one = await authenticate(auth, "Bearer svc-key-1");
  const two = await authenticate(auth, "Bearer svc-key-2");
  expect(one).toEqual({ kind: "service", id: expect.stringMatching(/^service:[0-9a-f]{16}$/) });
  expect(two.id).not.toBe(one.id);
  expect(one.id).not.toContain("svc-key-1");
});

test("a Supabase token is a user caller with its sub, role and anonymity", async () => {
  expect(await authenticate(auth, `Bearer ${await token({ is_anonymous: true })}`)).toEqual({
    kind: "user",
    id: "user-9",
    role: "authenticated",
    anonymous: true,
  });
});

describe("through a route", () => {
  const appFor = (admits: Admits) => {
    const fn = new Hono<{ Variables: { caller: unknown } }>();
    fn.use(
      "/x",
      requireCaller(() => auth, admits),
    );
    fn.post("/x", (c) => c.json(c.var.caller));
    return createRootApp({ name: "test", apps: [fn], logSink: () => {} });
  };
  const call = async (admits: Admits, authorization?: string) =>
    (
      await appFor(admits).request("/x", {
        method: "POST",
        headers: authorization ? { authorization } : {},
      })
    ).status;

  test.each([
    ["service", "no header", undefined, 401],
    ["service", "Basic auth", "Basic c3ZjLWtleS0xOg==", 401],
    ["service", "an unknown key", "Bearer svc-key-3", 401],
    ["service", "the service key", "Bearer svc-key-1", 200],
  ] as const)("%s route, %s → %i", async (admits, _, header, status) => {
    expect(await call(admits, header)).toBe(status);
  });

  test("a user token: 403 where a service key is required, 200 where users are admitted", async () => {
    const user = `Bearer ${await token()}`;
    expect(await call("service", user)).toBe(403);
    expect(await call("user", user)).toBe(200);
    expect(await call("signed-in", user)).toBe(200);
  });

  test("anonymous sign-ins pass `user` and are refused (403) by `signed-in`", async () => {
    const anonymous = `Bearer ${await token({ is_anonymous: true })}`;
    expect(await call("user", anonymous)).toBe(200);
    expect(await call("signed-in", anonymous)).toBe(403);
    expect(await call("signed-in", `Bearer ${await token({ role: "anon" })}`)).toBe(403);
  });

  test("401 answers say how to authenticate", async () => {
    const res = await appFor("user").request("/x", { method: "POST" });
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });
});

test("an unknown `admits` is refused when the middleware is built", () => {
  expect(() => requireCaller(() => auth, "admin" as Admits)).toThrow(RangeError);
});
