// jose by subpath: its index's `errors` namespace would bundle every error class, JWE's included.
import type { JWTPayload, JWTVerifyGetKey } from "jose";
import { JOSEError, JWKSTimeout } from "jose/errors";
import { createRemoteJWKSet } from "jose/jwks/remote";
import { jwtVerify } from "jose/jwt/verify";
import { AppError } from "../http/errors.ts";

/** Where a Supabase project publishes its signing keys, under its URL. */
export const SUPABASE_JWKS_PATH = "/auth/v1/.well-known/jwks.json";

/** The audience of every Supabase access token (anon keys and service keys carry none). */
export const SUPABASE_AUDIENCE = "authenticated";

export interface JwtVerifierOptions {
  /** SUPABASE_JWT_SECRET: verifies HS256 tokens (projects on the legacy shared secret). */
  secret?: string | undefined;
  /** The project's JWKS (`SUPABASE_URL` + {@link SUPABASE_JWKS_PATH}): RS256 and ES256 tokens. */
  jwksUrl?: string | undefined;
  audience?: string;
}

/** The claims of a verified token, or undefined for any token that does not verify. */
export type JwtVerifier = (token: string) => Promise<JWTPayload | undefined>;

// What the JWKS fetch may take; a verification waiting longer is answered 503, not 401.
const JWKS_TIMEOUT_MS = 3_000;
const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * A verifier for Supabase access tokens with `jose`: HS256 against the secret when one is
 * configured, RS256/ES256 against the project's JWKS (fetched once, cached for ten minutes,
 * refetched at most every 30 s when a token names an unknown key). `exp` is required and checked,
 * the audience must match, `alg: none` and any algorithm without a key here are refused. A JWKS
 * that cannot be fetched is our outage, not a bad token: 503.
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS })
    : undefined;
  const algorithms = [...(secret ? ["HS256"] : []), ...(jwks ? ["RS256", "ES256"] : [])];
  if (algorithms.length === 0) throw new RangeError("a JWT verifier needs a secret or a JWKS URL");
  // jose refuses an algorithm outside `algorithms` before it asks for a key: each branch has one.
  const key: JWTVerifyGetKey = (header, token) =>
    header.alg === "HS256" ? secret! : jwks!(header, token);
  const verifyOptions = {
    algorithms,
    audience: options.audience ?? SUPABASE_AUDIENCE,
    requiredClaims: ["exp", "sub"],
  };
  return async (token) => {
    if (!COMPACT_JWS.test(token)) return undefined;
    try {
      return (await jwtVerify(token, key, verifyOptions)).payload;
    } catch (error) {
      if (error instanceof JWKSTimeout || !(error instanceof JOSEError)) {
        throw new AppError({
          status: 503,
          code: "auth_unavailable",
          category: "external_service",
          message: "The token's signing keys could not be fetched; retry later",
          headers: { "Retry-After": "5" },
        });
      }
      return undefined;
    }
  };
}
