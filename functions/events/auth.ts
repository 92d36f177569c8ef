import type { MiddlewareHandler } from "hono";
import { bearerToken, isServiceKey } from "../../shared/auth/service-key.ts";
import { AppError } from "../../shared/http/errors.ts";
import { secureCompare } from "../../shared/http/secure-compare.ts";
import type { EventsDeps, EventsEnv } from "./types.ts";

/**
 * The outbound API is for the product's own services: a key from SERVICE_API_KEYS as the bearer
 * token. With no key configured the API does not exist (404), so an unconfigured deployment
 * offers no surface to probe.
 */
export const requireServiceKey: MiddlewareHandler<EventsEnv> = async function requireServiceKey(
  c,
  next,
) {
  const keys = c.get("deps").serviceKeys;
  if (keys.length === 0) {
    throw new AppError({
      status: 404,
      code: "not_found",
      category: "not_found",
      message: `No route for ${c.req.method} ${c.req.path}`,
    });
  }
  const token = bearerToken(c.req.header("authorization"));
  if (!token || !isServiceKey(token, keys)) {
    throw new AppError({
      status: 401,
      code: "unauthorized",
      category: "authentication",
      message: "A valid service key is required as the bearer token",
    });
  }
  await next();
};

/** Whether the request carries the cron secret (unset: nobody does). */
export function isCronCall(authorization: string | undefined, deps: EventsDeps): boolean {
  const token = bearerToken(authorization);
  return (
    deps.cronSecret !== undefined && token !== undefined && secureCompare(token, deps.cronSecret)
  );
}
