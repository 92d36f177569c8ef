import type { MiddlewareHandler } from "hono";
import { deferFor } from "../http/defer.ts";
import { isAppError } from "../http/errors.ts";
import type { HourlyCounters, WebhookCount } from "./counters.ts";

declare module "hono" {
  interface ContextVariableMap {
    /** Set by a webhook receiver when it answered a delivery as a duplicate. */
    webhookDuplicate: boolean;
  }
}

/**
 * Counts every delivery to a webhook receiver for the status page, after the response: received,
 * and whether it was refused (its signature did not verify), a duplicate, or answered 503.
 */
export function countWebhooks(
  provider: string,
  countersFor: (env: object) => HourlyCounters,
): MiddlewareHandler {
  return async function countWebhook(c, next) {
    await next();
    const counts: WebhookCount[] = ["received"];
    if (c.res.status === 503) counts.push("unavailable");
    else if (isAppError(c.error) && c.error.code === "invalid_signature") counts.push("refused");
    else if (c.get("webhookDuplicate")) counts.push("duplicate");
    deferFor(c)(countersFor(c.env ?? {}).add(counts.map((count) => `${provider}:${count}`)));
  };
}
