import { AppError, isAppError } from "../../shared/http/errors.ts";
import {
  type CircuitBreaker,
  isBrokenCircuitError,
} from "../../shared/resilience/breaker/breaker.ts";
import { guard } from "../../shared/resilience/policy.ts";
import { retry } from "../../shared/resilience/retry.ts";

export interface TwilioOptions {
  /** TWILIO_API_BASE_URL, `https://api.twilio.com` by default. */
  baseUrl: string;
  accountSid: string;
  /** Basic auth: the account SID and auth token, or an API key SID and its secret. */
  username: string;
  password: string;
  /** `From`, or `MessagingServiceSid` when it starts with MG. */
  sender: { From: string } | { MessagingServiceSid: string };
  /** PUBLIC_BASE_URL + /webhooks/twilio/status, when there is a public URL. */
  statusCallback: string | undefined;
  breaker: CircuitBreaker;
  /** The whole send, retries included. */
  timeoutMs: number;
}

/**
 * What became of a send: `accepted` (Twilio's sid and status), `refused` (Twilio's 4xx: not
 * sent), or `unknown` (Twilio may have taken it: a 5xx, a timeout or a connection lost after the
 * request left). An unknown send is never repeated: there is no idempotency key to make it safe.
 */
export type SendOutcome =
  | { kind: "accepted"; sid: string; status: string }
  | { kind: "refused"; status: number; code: number | undefined; message: string }
  | { kind: "unknown"; reason: "timeout" | "connection" | "server_error" | "unreadable" };

// Repeated only after an answer that proves the message was not taken: 429 or 503.
const CERTAINLY_NOT_SENT = new Set([429, 503]);
const TWILIO_RETRY = retry({ initialDelayMs: 250, maxDelayMs: 2_000, retries: 2 });

function unavailable(retryAfterMs: number, message: string): AppError {
  return new AppError({
    status: 503,
    code: "upstream_unavailable",
    category: "external_service",
    message,
    headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterMs / 1000))) },
  });
}

async function outcomeOf(response: Response): Promise<SendOutcome> {
  if (response.ok) {
    const message = (await response.json().catch(() => undefined)) as
      { sid?: unknown; status?: unknown } | undefined;
    return typeof message?.sid === "string"
      ? {
          kind: "accepted",
          sid: message.sid,
          status: typeof message.status === "string" ? message.status : "queued",
        }
      : { kind: "unknown", reason: "unreadable" };
  }
  if (response.status >= 500 || response.status === 408) {
    void response.body?.cancel().catch(() => {});
    return { kind: "unknown", reason: "server_error" };
  }
  const error = (await response.json().catch(() => ({}))) as { code?: unknown; message?: unknown };
  return {
    kind: "refused",
    status: response.status,
    code: typeof error.code === "number" ? error.code : undefined,
    message:
      typeof error.message === "string" ? error.message : `Twilio answered ${response.status}`,
  };
}

/**
 * Sends one SMS with Twilio's Messages API under the `twilio-api` breaker. Retried only after a
 * 429 or 503 (Twilio did not take it); anything else that fails is `unknown`, never repeated: a
 * timeout (the attempt after one answers `unknown` without sending), a 5xx, a lost connection
 * (workerd reports a refused and a reset connection alike, so no failure proves it unsent).
 * Throws 503 while the breaker is open or when Twilio still refuses with 429/503.
 */
export async function sendSms(
  options: TwilioOptions,
  message: { to: string; body: string },
  defer: (pending: Promise<unknown>) => void,
): Promise<SendOutcome> {
  const url = `${options.baseUrl}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const form = new URLSearchParams({ To: message.to, Body: message.body, ...options.sender });
  if (options.statusCallback) form.set("StatusCallback", options.statusCallback);
  const init = {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`${options.username}:${options.password}`)}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: form.toString(),
  };
  let mayResend = true;
  try {
    const { value } = await guard<SendOutcome | Response>(
      {
        breaker: options.breaker,
        retry: TWILIO_RETRY,
        // An attempt may take the whole budget, so a timeout leaves none for a retry.
        attemptTimeoutMs: options.timeoutMs,
        defer,
        isFailure: (v) => v instanceof Response || v.kind === "unknown",
      },
      // Repeating is safe because the task itself refuses to resend after anything but 429/503.
      { deadlineMs: options.timeoutMs, idempotent: true },
      async ({ signal }) => {
        if (!mayResend) return { kind: "unknown", reason: "timeout" };
        mayResend = false;
        let response: Response;
        try {
          response = await fetch(url, { ...init, signal });
        } catch {
          // Our own timeout aborted it (the policy answers with its TimeoutError), or the
          // connection failed: Twilio may have the message either way.
          return { kind: "unknown", reason: "connection" };
        }
        if (CERTAINLY_NOT_SENT.has(response.status)) {
          mayResend = true;
          return response;
        }
        return outcomeOf(response);
      },
    );
    if (value instanceof Response) {
      void value.body?.cancel().catch(() => {});
      throw unavailable(5_000, "Twilio is refusing messages for now; nothing was sent");
    }
    return value;
  } catch (error) {
    if (isBrokenCircuitError(error)) {
      throw unavailable(
        error.retryAfterMs,
        "Twilio is failing; sends are paused briefly and nothing was sent",
      );
    }
    if (isAppError(error)) throw error;
    // The policy's TimeoutError: the request may have reached Twilio.
    return { kind: "unknown", reason: "timeout" };
  }
}
