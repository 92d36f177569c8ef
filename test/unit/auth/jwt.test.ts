// Supabase access tokens verified with jose: HS256 against the project secret, RS256/ES256 against
// the project's JWKS served on loopback; everything forged, expired, misaddressed or unsigned refused.
import { createServer, type Server } from "node:http";
import { type GenerateKeyPairResult, type JWK, SignJWT, exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createJwtVerifier } from "../../../shared/auth/jwt.ts";
import { isAppError } from "../../../shared/http/errors.ts";

const SECRET = "unit-test-jwt-secret-of-at-least-32-chars";
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);

function sign(
  alg: string,
  key: Parameters<SignJWT["sign"]>[0],
  claims: Record<string, unknown> = {},
  kid?: string,
) {
  return new SignJWT({ role: "authenticated", ...claims })
    .setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) })
    .setSubject("user-1")
    .setAudience((claims.aud as string) ?? "authenticated")
    .setExpirationTime((claims.exp as number) ?? now() + 3600)
    .sign(key);
}

const secretKey = new TextEncoder().encode(SECRET);

describe("HS256 with SUPABASE_JWT_SECRET", () => {
  const verify = createJwtVerifier({ secret: SECRET });

  test("a valid token gives its claims", async () => {
    expect(await verify(await sign("HS256", secretKey))).toMatchObject({
      sub: "user-1",
      role: "authenticated",
    });
  });

  test.each([
    ["signed with another secret", () => sign("HS256", new TextEncoder().encode("x".repeat(40)))],
    ["expired", () => sign("HS256", secretKey, { exp: now() - 60 })],
    ["for another audience", () => sign("HS256", secretKey, { aud: "other" })],
    [
      "alg none",
      async () =>
        `${encode({ alg: "none", typ: "JWT" })}.${encode({ sub: "u", aud: "authenticated", exp: now() + 60 })}.`,
    ],
    [
      "without exp",
      async () => `${encode({ alg: "HS256" })}.${encode({ sub: "u", aud: "authenticated" })}.x`,
    ],
    ["not a JWT", async () => "hello"],
    [
      "a tampered payload",
      async () => {
        const [h, , s] = (await sign("HS256", secretKey)).split(".");
        return `${h}.${encode({ sub: "admin", aud: "authenticated", exp: now() + 60, role: "authenticated" })}.${s}`;
      },
    ],
  ])("refuses a token %s", async (_, token) => {
    expect(await verify(await token())).toBeUndefined();
  });
});

describe("RS256 and ES256 with the project's JWKS", () => {
  let server: Server;
  let jwksUrl: string;
  let fetches = 0;
  const keys: Record<string, { privateKey: GenerateKeyPairResult["privateKey"]; jwk: JWK }> = {};

  beforeAll(async () => {
    for (const [alg, kid] of [
      ["RS256", "rsa-1"],
      ["ES256", "ec-1"],
    ] as const) {
      const pair = await generateKeyPair(alg, { extractable: true });
      keys[alg] = {
        privateKey: pair.privateKey,
        jwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" },
      };
    }
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: Object.values(keys).map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/auth/v1/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test.each(["RS256", "ES256"])(
    "%s tokens verify against the JWKS, fetched once and cached",
    async (alg) => {
      const verify = createJwtVerifier({ jwksUrl });
      const before = fetches;
      for (let i = 0; i < 3; i++) {
        expect(
          await verify(await sign(alg, keys[alg]!.privateKey, {}, keys[alg]!.jwk.kid)),
        ).toMatchObject({ sub: "user-1" });
      }
      expect(fetches - before).toBe(1);
    },
  );

  test("a token signed by a key not in the JWKS is refused", async () => {
    const stranger = await generateKeyPair("ES256");
    expect(
      await createJwtVerifier({ jwksUrl })(await sign("ES256", stranger.privateKey, {}, "ec-1")),
    ).toBeUndefined();
  });

  test("an HS256 token is refused where only the JWKS is configured (no algorithm confusion)", async () => {
    const token = await sign(
      "HS256",
      new TextEncoder().encode(JSON.stringify(keys.RS256!.jwk)),
      {},
      "rsa-1",
    );
    expect(await createJwtVerifier({ jwksUrl })(token)).toBeUndefined();
  });

  test("an expired RS256 token is refused", async () => {
    const token = await sign("RS256", keys.RS256!.privateKey, { exp: now() - 5 }, "rsa-1");
    expect(await createJwtVerifier({ jwksUrl })(token)).toBeUndefined();
  });
});

test("a JWKS that cannot be reached is our outage: 503, not a 401", async () => {
  const verify = createJwtVerifier({ jwksUrl: "http://127.0.0.1:9/jwks.json" });
  const pair = await generateKeyPair("RS256");
  const error = await verify(await sign("RS256", pair.privateKey, {}, "k")).catch(
    (e: unknown) => e,
  );
  expect(isAppError(error) && error.status).toBe(503);
});

test("a verifier without a secret or a JWKS is refused when built", () => {
  expect(() => createJwtVerifier({})).toThrow(RangeError);
});
