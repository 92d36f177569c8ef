import { Hono } from "hono";
import { parseJson, readBody, readJson, requireContentType } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { AppError } from "../../shared/http/errors.ts";
import { isCronCall, requireServiceKey } from "./auth.ts";
import { leaseMs, runDeliveryCron } from "./cron.ts";
import { dispatch } from "./dispatch.ts";
import type { EventsEnv } from "./types.ts";
import {
  EVENT_ID,
  EVENT_TYPE,
  endpointIdOr404,
  endpointNotFound,
  eventNotFound,
  invalid,
  objectBody,
} from "./validate.ts";

/** The id in GET /events/{id} that names the scheduled run: no event may take it. */
const CRON_RUN = "cron";

/** An event's `data` and envelope; receivers rarely accept more in one request. */
export const MAX_EVENT_BYTES = 256 * 1024;

function eventInput(body: Record<string, unknown>) {
  const { type, data, id } = body;
  if (typeof type !== "string" || type.length > 128 || !EVENT_TYPE.test(type)) {
    throw invalid(
      "type",
      "type must be an event type such as invoice.paid (at most 128 characters)",
    );
  }
  if (data === undefined) throw invalid("data", "data is required (any JSON value)");
  if (id !== undefined && (typeof id !== "string" || !EVENT_ID.test(id))) {
    throw invalid("id", "id must be 1 to 255 characters of A-Z, a-z, 0-9, _ . : -");
  }
  if (id === CRON_RUN) throw invalid("id", `id '${CRON_RUN}' is reserved (GET /events/cron)`);
  return {
    type,
    data,
    id: (id as string | undefined) ?? `evt_${crypto.randomUUID().replaceAll("-", "")}`,
  };
}

/**
 * POST /events: the event and its deliveries are committed (one transaction) before the 202;
 * the first attempts then run after the response (`waitUntil`), already claimed, and the cron
 * takes over whatever they leave. GET /events/{id} inspects, POST /events/{id}/replay sends again.
 * GET /events/cron is the scheduled run, for CRON_SECRET only.
 */
export function eventRoutes() {
  const app = new Hono<EventsEnv>();

  // The scheduled run shares GET /events/{id}: the router every deployment uses (Hono's
  // RegExpRouter, its fastest) cannot hold a fixed segment beside a parameter.
  app.get("/events/:id", async function cronRun(c, next) {
    if (c.req.param("id") !== CRON_RUN) return next();
    const deps = c.get("deps");
    if (!isCronCall(c.req.header("authorization"), deps)) {
      throw new AppError({
        status: 401,
        code: "unauthorized",
        category: "authentication",
        message: "A valid cron secret is required",
      });
    }
    return c.json(await runDeliveryCron(deps, deferFor(c)));
  });

  app.post("/events", requireServiceKey, async (c) => {
    const deps = c.get("deps");
    const event = eventInput(objectBody(await readJson(c.req.raw, MAX_EVENT_BYTES)));
    const published = await deps.store.publish(event, leaseMs(deps));
    const defer = deferFor(c);
    if (published.claimed.length > 0) defer(dispatch(deps, published.claimed, defer));
    return c.json(
      { id: event.id, deliveries: published.deliveries, duplicate: published.duplicate },
      202,
    );
  });

  app.get("/events/:id", requireServiceKey, async (c) => {
    const id = c.req.param("id");
    const event = EVENT_ID.test(id) ? await c.get("deps").store.getEvent(id) : null;
    if (!event) throw eventNotFound();
    return c.json(event);
  });

  app.post("/events/:id/replay", requireServiceKey, async (c) => {
    const deps = c.get("deps");
    const id = c.req.param("id");
    // The body is optional: none (or `{}`) replays to every subscribed endpoint.
    const raw = await readBody(c.req.raw, 1024);
    if (raw.byteLength > 0) requireContentType(c.req.raw, ["application/json"]);
    const body = raw.byteLength === 0 ? {} : objectBody(parseJson(raw));
    const endpointId =
      body.endpoint_id === undefined ? null : endpointIdOr404(String(body.endpoint_id));
    const replayed = EVENT_ID.test(id)
      ? await deps.store.replay(id, endpointId, leaseMs(deps))
      : null;
    if (!replayed) throw eventNotFound();
    if (endpointId !== null && replayed.deliveries === 0) throw endpointNotFound();
    const defer = deferFor(c);
    if (replayed.claimed.length > 0) defer(dispatch(deps, replayed.claimed, defer));
    return c.json({ id, deliveries: replayed.deliveries }, 202);
  });
  return app;
}
