import { type Context, Hono } from "hono";
import { type Caller, type CallerAuth, requireCaller } from "../../shared/auth/caller.ts";
import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import { readJson } from "../../shared/http/body.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { AppError } from "../../shared/http/errors.ts";
import { type VerifyLimits, clientAddress, limitStart } from "./limits.ts";
import { recordOutbound } from "./record.ts";
import { type SendOutcome, type TwilioOptions, sendSms } from "./twilio.ts";
import { checkRequest, smsRequest, startRequest } from "./validate.ts";
import { type HmacKey, type VerificationStore, codeHash, generateCode } from "./verify.ts";

/** A 1600-character message in JSON fits many times over. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface MessagingDeps {
  auth: CallerAuth;
  twilio: TwilioOptions;
  verifications: VerificationStore;
  /** The HMAC key of stored code hashes. */
  codeKey: Promise<HmacKey>;
  limits: VerifyLimits;
  /** VERIFY_COUNTRIES; undefined: any destination. */
  countries: ReadonlySet<string> | undefined;
  ttlSec: number;
  db: Database;
}

export type MessagingEnv = { Variables: BaseVariables & { caller: Caller; deps: MessagingDeps } };

/** Sends one SMS and records it (body null for codes); the outcome the routes answer with. */
async function send(
  c: Context<MessagingEnv>,
  message: { to: string; body: string; keepBody: boolean },
) {
  const deps = c.get("deps");
  const defer = deferFor(c);
  const outcome = await sendSms(deps.twilio, message, defer);
  const id = crypto.randomUUID();
  if (outcome.kind !== "refused") {
    const accepted = outcome.kind === "accepted";
    defer(
      recordOutbound(deps.db, c.get("log"), {
        id,
        sid: accepted ? outcome.sid : null,
        status: accepted ? outcome.status : "unknown",
        to: message.to,
        from: "From" in deps.twilio.sender ? deps.twilio.sender.From : undefined,
        messaging_service_sid:
          "MessagingServiceSid" in deps.twilio.sender
            ? deps.twilio.sender.MessagingServiceSid
            : undefined,
        account_sid: deps.twilio.accountSid,
        body: message.keepBody ? message.body : null,
      }),
    );
  }
  c.get("log").info("sms sent", {
    id,
    outcome: outcome.kind,
    sid: outcome.kind === "accepted" ? outcome.sid : undefined,
  });
  return { id, outcome };
}

/** The error for a send that did not end `accepted`. */
function notSent(id: string, outcome: Exclude<SendOutcome, { kind: "accepted" }>): AppError {
  if (outcome.kind === "unknown") {
    return new AppError({
      status: 502,
      code: "delivery_unknown",
      category: "external_service",
      message:
        "Twilio may or may not have accepted the message; it was not retried, so it is never sent twice",
      details: { id, reason: outcome.reason },
    });
  }
  if (outcome.status === 400) {
    return new AppError({
      status: 400,
      code: "twilio_refused",
      category: "validation",
      message: outcome.message,
      details: { twilioCode: outcome.code ?? null },
    });
  }
  // 401, 403, 404: this deployment's account or credentials, not the caller's request.
  return new AppError({
    status: 502,
    code: "upstream_refused",
    category: "external_service",
    message: "Twilio refused this deployment's request",
    details: { twilioCode: outcome.code ?? null },
  });
}

/**
 * POST /messages/sms (service key), POST /verify/start and /verify/check (service key or a
 * Supabase user): SMS through Twilio that is never sent twice, and codes only their hash of which
 * is ever stored.
 */
export function createMessagingApp(depsFor: (env: object) => MessagingDeps) {
  const app = new Hono<MessagingEnv>();
  const authFor = (env: object) => depsFor(env).auth;
  for (const path of ["/messages/*", "/verify/*"]) {
    app.use(path, async function messagingDeps(c, next) {
      c.set("deps", depsFor(c.env ?? {}));
      await next();
    });
  }
  app.use("/messages/*", requireCaller(authFor, "service"));
  app.use("/verify/*", requireCaller(authFor, "user"));

  app.post("/messages/sms", async (c) => {
    const message = smsRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    const { id, outcome } = await send(c, { ...message, keepBody: true });
    if (outcome.kind !== "accepted") throw notSent(id, outcome);
    return c.json({ id, sid: outcome.sid, status: outcome.status }, 202);
  });

  app.post("/verify/start", async (c) => {
    const deps = c.get("deps");
    const { phone } = startRequest(await readJson(c.req.raw, MAX_BODY_BYTES), deps.countries);
    await limitStart(deps.limits, { phone, client: clientAddress(c) }, c.get("log"));
    const code = generateCode();
    // Stored before the send: the code must be checkable the moment the SMS arrives.
    await deps.verifications.start(
      phone,
      await codeHash(await deps.codeKey, phone, code),
      deps.ttlSec,
    );
    const expiresAt = new Date(Date.now() + deps.ttlSec * 1000).toISOString();
    const minutes = Math.ceil(deps.ttlSec / 60);
    const body = `Your verification code is ${code}. It expires in ${minutes} minute${minutes === 1 ? "" : "s"}.`;
    const { id, outcome } = await send(c, { to: phone, body, keepBody: false });
    if (outcome.kind !== "accepted") throw notSent(id, outcome);
    return c.json({ status: "pending", expires_at: expiresAt }, 202);
  });

  app.post("/verify/check", async (c) => {
    const deps = c.get("deps");
    const { phone, code } = checkRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    const checked = await deps.verifications.check(
      phone,
      await codeHash(await deps.codeKey, phone, code),
    );
    c.get("log").info("verification checked", { result: checked.result });
    if (checked.result === "approved") return c.json({ status: "approved" });
    if (checked.result === "not_found") {
      throw new AppError({
        status: 404,
        code: "verification_not_found",
        category: "not_found",
        message:
          "No pending verification for this phone: never started, expired, already approved or locked",
      });
    }
    throw new AppError({
      status: 400,
      code: "invalid_code",
      category: "validation",
      message: `The code is not right; ${checked.attemptsLeft} attempt${checked.attemptsLeft === 1 ? "" : "s"} left`,
      details: { attemptsLeft: checked.attemptsLeft },
    });
  });
  return app;
}
