import { Hono } from "hono";
import { endpointRoutes } from "./endpoints.ts";
import { eventRoutes } from "./events.ts";
import { inboundRoutes } from "./inbound.ts";
import type { EventsDeps, EventsEnv } from "./types.ts";

/**
 * The events function: outbound webhook endpoints and events (service keys), the delivery cron
 * (CRON_SECRET), and inbound webhooks from configured senders (their signatures). Dependencies
 * are set once on `c.get("deps")`, only on this function's own paths, so mounting it beside other
 * functions never makes their requests read its configuration.
 */
export function createEventsApp(depsFor: (env: object) => EventsDeps) {
  const app = new Hono<EventsEnv>();
  // `/x/*` covers `/x` too.
  for (const path of ["/webhook-endpoints/*", "/events/*", "/webhooks/in/*"]) {
    app.use(path, async function eventsDeps(c, next) {
      c.set("deps", depsFor(c.env ?? {}));
      await next();
    });
  }
  app.route("/", endpointRoutes());
  app.route("/", eventRoutes());
  app.route("/", inboundRoutes());
  return app;
}
