import { Hono } from "hono";
import { readJson } from "../../shared/http/body.ts";
import { AppError } from "../../shared/http/errors.ts";
import { checkOutboundUrl } from "../../shared/http/outbound-url.ts";
import { newStandardSecret } from "../../shared/webhooks/standard-signature.ts";
import { requireServiceKey } from "./auth.ts";
import type { EventsEnv } from "./types.ts";
import {
  EVENT_PATTERN,
  endpointIdOr404,
  endpointNotFound,
  invalid,
  objectBody,
} from "./validate.ts";

const MAX_BODY_BYTES = 16 * 1024;
const MAX_PATTERNS = 100;
const MAX_URL_LENGTH = 2048;
/** After a rotation the old secret keeps signing for a day, so receivers can switch over. */
export const ROTATION_OVERLAP_SECONDS = 24 * 3600;

function endpointInput(body: Record<string, unknown>, allowLoopback: boolean) {
  const { url, events, description } = body;
  if (typeof url !== "string" || url.length > MAX_URL_LENGTH) {
    throw invalid("url", `url must be a string of at most ${MAX_URL_LENGTH} characters`);
  }
  const check = checkOutboundUrl(url, { allowLoopback });
  if (!check.ok) {
    throw new AppError({
      status: 400,
      code: "unsafe_url",
      category: "validation",
      message: `The url is refused: ${check.reason.replaceAll("_", " ")}`,
      details: { field: "url", reason: check.reason },
    });
  }
  if (
    !Array.isArray(events) ||
    events.length === 0 ||
    events.length > MAX_PATTERNS ||
    !events.every((p) => typeof p === "string" && p.length <= 128 && EVENT_PATTERN.test(p))
  ) {
    throw invalid(
      "events",
      `events must hold 1 to ${MAX_PATTERNS} event types, prefixes (invoice.*) or "*"`,
    );
  }
  if (
    description !== undefined &&
    description !== null &&
    (typeof description !== "string" || description.length > 500)
  ) {
    throw invalid("description", "description must be a string of at most 500 characters");
  }
  return {
    url: check.url.href,
    host: check.url.hostname,
    events: [...new Set(events as string[])],
    description: (description as string | undefined) ?? null,
  };
}

/**
 * The endpoints that receive events: created with a URL checked against SSRF and a fresh
 * `whsec_` secret (shown only at creation and rotation), listed, deleted, rotated.
 */
export function endpointRoutes() {
  const app = new Hono<EventsEnv>();
  app.use("/webhook-endpoints/*", requireServiceKey); // `/*` covers the bare path too

  app.post("/webhook-endpoints", async (c) => {
    const deps = c.get("deps");
    const input = endpointInput(
      objectBody(await readJson(c.req.raw, MAX_BODY_BYTES)),
      deps.delivery.allowLoopback,
    );
    const secret = newStandardSecret();
    const endpoint = await deps.store.createEndpoint({ ...input, secret });
    c.get("log").info("webhook endpoint created", { endpointId: endpoint.id, host: input.host });
    return c.json({ ...endpoint, secret }, 201);
  });

  app.get("/webhook-endpoints", async (c) =>
    c.json({ data: await c.get("deps").store.listEndpoints() }),
  );

  app.delete("/webhook-endpoints/:id", async (c) => {
    const id = endpointIdOr404(c.req.param("id"));
    if (!(await c.get("deps").store.deleteEndpoint(id))) throw endpointNotFound();
    return c.body(null, 204);
  });

  app.post("/webhook-endpoints/:id/rotate-secret", async (c) => {
    const id = endpointIdOr404(c.req.param("id"));
    const secret = newStandardSecret();
    if (!(await c.get("deps").store.rotateSecret(id, secret, ROTATION_OVERLAP_SECONDS)))
      throw endpointNotFound();
    c.get("log").info("webhook endpoint secret rotated", { endpointId: id });
    return c.json({ secret });
  });
  return app;
}
