import { type Context, Hono } from "hono";
import { mediaType, parseJson, readBody, requireContentType } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { withDeps } from "../../shared/http/deps.ts";
import { AppError } from "../../shared/http/errors.ts";
import { hourlyCounters } from "../../shared/telemetry/counters.ts";
import { countWebhooks } from "../../shared/telemetry/webhook-counts.ts";
import { type Dedupe, deliver } from "../../shared/webhooks/deliver.ts";
import { publicUrl, verifyTwilioSignature } from "../../shared/webhooks/twilio-signature.ts";
import { twiml } from "./twiml.ts";
import type { TwilioWebhookDeps, TwilioWebhookEnv } from "./types.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

type TwilioContext = Context<TwilioWebhookEnv>;

/** Verifies the request (403 if not Twilio's) and returns its parameters. */
async function verifiedParams(c: TwilioContext, deps: TwilioWebhookDeps): Promise<URLSearchParams> {
  requireContentType(c.req.raw, ["application/x-www-form-urlencoded", "application/json"]);
  const body = await readBody(c.req.raw, MAX_BODY_BYTES);
  const json = mediaType(c.req.raw) === "application/json";
  // The query exactly as received: cut from the request line, never re-encoded or re-sorted.
  const queryAt = c.req.url.indexOf("?");
  const rawQuery = queryAt < 0 ? "" : c.req.url.slice(queryAt + 1);
  const params = json ? new URLSearchParams() : new URLSearchParams(new TextDecoder().decode(body));
  const verification = await verifyTwilioSignature({
    signature: c.req.header("x-twilio-signature"),
    url: publicUrl(deps.publicBaseUrl, c.req.path, rawQuery),
    params,
    ...(json ? { body } : {}),
    tokens: deps.tokens,
  });
  if (!verification.ok) {
    c.get("log").warn("webhook rejected", {
      provider: "twilio",
      verification: verification.reason,
    });
    throw new AppError({
      status: 403,
      code: "invalid_signature",
      category: "authorization",
      message: "The X-Twilio-Signature header does not verify",
      details: { reason: verification.reason },
    });
  }
  return json ? new URLSearchParams(jsonParams(body)) : params;
}

/** A JSON-bodied callback's fields, as the form parameters Twilio would otherwise send. */
function jsonParams(body: Uint8Array): Record<string, string> {
  const value = parseJson(body);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AppError({
      status: 400,
      code: "invalid_json",
      category: "validation",
      message: "Request body is not a JSON object",
    });
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
}

function required(params: URLSearchParams, ...names: string[]): void {
  const missing = names.filter((name) => !params.get(name));
  if (missing.length > 0) {
    throw new AppError({
      status: 400,
      code: "missing_parameter",
      category: "validation",
      message: `Missing ${missing.join(", ")}`,
      details: { missing },
    });
  }
}

/**
 * POST /webhooks/twilio/messages (inbound SMS, answered with TwiML) and /webhooks/twilio/status
 * (delivery status callbacks): verified, then recorded and applied exactly once.
 */
export function createTwilioWebhookApp(depsFor: (env: object) => TwilioWebhookDeps) {
  const app = new Hono<TwilioWebhookEnv>();
  app.use("/webhooks/twilio/*", withDeps(depsFor));
  app.use("/webhooks/twilio/*", countWebhooks("twilio", hourlyCounters));

  const handle = async (c: TwilioContext, kind: "message" | "status") => {
    const started = Date.now();
    const deps = c.get("deps");
    const params = await verifiedParams(c, deps);
    required(params, ...(kind === "message" ? ["MessageSid"] : ["MessageSid", "MessageStatus"]));
    const sid = params.get("MessageSid")!;
    const token = c.req.header("i-twilio-idempotency-token") ?? null;
    const key =
      kind === "message"
        ? `twilio:message:${sid}`
        : `twilio:status:${token ?? `${sid}:${params.get("MessageStatus")}`}`;
    const fields = Object.fromEntries(params);
    let dedupe: Dedupe = "in_flight";
    try {
      ({ dedupe } = await deliver(
        { claims: deps.claims, breaker: deps.dbBreaker, defer: deferFor(c), trace: c.get("trace") },
        key,
        (signal) =>
          deps.db
            .rpc(kind === "message" ? "twilio_inbound_message" : "twilio_status_callback", {
              [kind === "message" ? "message" : "callback"]: fields,
              idempotency_token: token,
            })
            .abortSignal(signal),
      ));
    } finally {
      c.get("log").info("webhook delivery", {
        provider: "twilio",
        kind,
        messageSid: sid,
        status: params.get("MessageStatus") ?? undefined,
        verification: "ok",
        dedupe,
        latencyMs: Date.now() - started,
      });
    }
    c.set("webhookDuplicate", dedupe === "duplicate");
    return dedupe;
  };

  app.post("/webhooks/twilio/messages", async (c) => {
    const dedupe = await handle(c, "message");
    // A duplicate gets an empty answer: the auto-reply was already sent with the first one.
    const reply = dedupe === "new" ? (c.get("deps").autoReply ?? null) : null;
    return c.body(twiml(reply), 200, { "content-type": "text/xml; charset=utf-8" });
  });
  app.post("/webhooks/twilio/status", async (c) => {
    const dedupe = await handle(c, "status");
    return c.json({ received: true, duplicate: dedupe === "duplicate" });
  });
  return app;
}
