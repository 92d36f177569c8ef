import type { MiddlewareHandler } from "hono";
import { AppError } from "../http/errors.ts";
import type { JwtVerifier } from "./jwt.ts";
import { bearerToken, isServiceKey } from "./service-key.ts";

/**
 * Who is calling: a backend holding a service key, or a signed-in Supabase user. `id` scopes what
 * a caller owns (idempotency keys): a digest of the service key, or the user's `sub`.
 */
export type Caller =
  { kind: "service"; id: string } | { kind: "user"; id: string; role: string; anonymous: boolean };

export interface CallerAuth {
  /** SERVICE_API_KEYS; empty when none is configured. */
  serviceKeys: readonly string[];
  verifyJwt: JwtVerifier;
}

/**
 * Which callers a route takes: `service` (service keys only), `user` (also any valid Supabase
 * token, anonymous sign-ins included), `signed-in` (also users with role `authenticated` who are
 * not anonymous).
 */
export type Admits = "service" | "user" | "signed-in";

const ADMITS = new Set<Admits>(["service", "user", "signed-in"]);

const unauthenticated = (message: string) =>
  new AppError({
    status: 401,
    code: "unauthorized",
    category: "authentication",
    message,
    headers: { "WWW-Authenticate": 'Bearer realm="breakwater"' },
  });

const forbidden = (code: string, message: string) =>
  new AppError({ status: 403, code, category: "authorization", message });

async function serviceId(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  const hex = [...new Uint8Array(digest, 0, 8)].map((b) => b.toString(16).padStart(2, "0"));
  return `service:${hex.join("")}`;
}

/** The caller of `Authorization: Bearer <token>`, or a 401 for a missing or bad token. */
export async function authenticate(
  auth: CallerAuth,
  authorization: string | undefined,
): Promise<Caller> {
  const token = bearerToken(authorization);
  if (!token) throw unauthenticated("Authorization: Bearer <token> is required");
  if (isServiceKey(token, auth.serviceKeys)) return { kind: "service", id: await serviceId(token) };
  const claims = await auth.verifyJwt(token);
  if (!claims?.sub) throw unauthenticated("The bearer token is not valid");
  return {
    kind: "user",
    id: claims.sub,
    role: typeof claims.role === "string" ? claims.role : "",
    anonymous: claims.is_anonymous === true,
  };
}

/** Refuses (403) a caller the route does not admit. */
export function admit(caller: Caller, admits: Admits): void {
  if (caller.kind === "service") return;
  if (admits === "service") {
    throw forbidden("service_key_required", "This endpoint takes a service key, not a user token");
  }
  if (admits === "signed-in" && (caller.role !== "authenticated" || caller.anonymous)) {
    throw forbidden("sign_in_required", "This endpoint takes a signed-in, non-anonymous user");
  }
}

/**
 * Middleware: authenticates the caller (401), admits it or not (403), and sets `c.get("caller")`.
 * `admits` is checked once, when the middleware is built.
 */
export function requireCaller(
  authFor: (env: object) => CallerAuth,
  admits: Admits,
): MiddlewareHandler<{ Variables: { caller: Caller } }> {
  if (!ADMITS.has(admits)) throw new RangeError(`unknown admits: ${String(admits)}`);
  return async function callerMiddleware(c, next) {
    const caller = await authenticate(authFor(c.env ?? {}), c.req.header("authorization"));
    admit(caller, admits);
    c.set("caller", caller);
    await next();
  };
}
