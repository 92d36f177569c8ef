import type { IncomingHttpHeaders } from "node:http";
import { GatewayError } from "./errors.ts";

/** The database roles a Supabase project's API keys stand for. */
export type ApiRole = "anon" | "service_role";

/** Each API key the gateway accepts, with the role it grants. */
export type ApiKeys = ReadonlyMap<string, ApiRole>;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) || undefined;
}

/** PostgREST's PGRST301, worded as v12 words its two likeliest JWT failures. */
function invalidToken(token: string): GatewayError {
  const parts = token.split(".").length;
  const message =
    parts === 3
      ? "JWSError JWSInvalidSignature"
      : `JWSError (CompactDecodeError Invalid number of parts: Expected 3 parts; got ${parts})`;
  return new GatewayError(
    401,
    { code: "PGRST301", message, details: null, hint: null },
    { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${message}"` },
  );
}

/**
 * Picks the role of a request the way Supabase's API gateway and PostgREST do together: the
 * `apikey` (header or `?apikey=`) must be one of the project's keys; the bearer token, when there
 * is one, chooses the role, and must itself be a known key (we have no JWT secret to verify
 * anything else). Throws the 401 either of them would answer.
 */
export function authenticate(
  headers: IncomingHttpHeaders,
  query: URLSearchParams,
  keys: ApiKeys,
): ApiRole {
  const apikey = header(headers, "apikey") ?? query.get("apikey");
  if (!apikey) {
    throw new GatewayError(401, {
      message: "No API key found in request",
      hint: "No `apikey` request header or url param was found.",
    });
  }
  const apikeyRole = keys.get(apikey);
  if (!apikeyRole) {
    throw new GatewayError(401, {
      message: "Invalid API key",
      hint: "Double check your Supabase `anon` or `service_role` API key.",
    });
  }
  // The gateway forwards the caller's Authorization, except a new-format `sb_` key (not a JWT),
  // which it replaces, as it does a missing one, with the apikey's own role.
  const authorization = header(headers, "authorization");
  if (!authorization || authorization.startsWith("Bearer sb_")) return apikeyRole;
  // PostgREST reads only a bearer token; any other scheme leaves the request anonymous.
  const token = /^bearer (.*)$/i.exec(authorization)?.[1];
  if (!token) return "anon";
  const role = keys.get(token);
  if (!role) throw invalidToken(token);
  return role;
}
