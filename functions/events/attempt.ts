import { checkOutboundUrl } from "../../shared/http/outbound-url.ts";
import { isTimeoutError, timeout } from "../../shared/resilience/timeout.ts";
import { utf8 } from "../../shared/webhooks/hmac.ts";
import { signStandardWebhook } from "../../shared/webhooks/standard-signature.ts";
import type { ClaimedAttempt } from "./store.ts";
import type { DeliveryConfig } from "./types.ts";

/** At most this much of a receiver's answer is read and kept. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** What one attempt came to. */
export interface AttemptResult {
  attemptedAt: Date;
  latencyMs: number;
  statusCode?: number;
  /** Why it failed, for the attempt's record: never a secret, never the payload. */
  error?: string;
  responseBody?: string;
  /** The host looked unwell (5xx, 429, 408, a timeout, a network error): a failure for its breaker. */
  hostFailure: boolean;
}

/** The request body: the same bytes on every attempt of a delivery. */
export function deliveryBody(event: ClaimedAttempt["event"]): Uint8Array {
  const timestamp = new Date(event.created_at).toISOString();
  return utf8(JSON.stringify({ type: event.type, timestamp, data: event.data }));
}

/** Up to `MAX_RESPONSE_BYTES` of the answer as text (NULs dropped: Postgres text refuses them). */
async function readCapped(response: Response): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < MAX_RESPONSE_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value.subarray(0, MAX_RESPONSE_BYTES - size));
    size += value.byteLength;
  }
  await reader.cancel().catch(() => {});
  const decoder = new TextDecoder();
  const text = chunks.map((chunk) => decoder.decode(chunk, { stream: true })).join("");
  return (text + decoder.decode()).replaceAll("\u0000", "");
}

const hostFailureStatus = (status: number) => status >= 500 || status === 429 || status === 408;

/**
 * One attempt of one delivery: the URL checked again (the rules may have changed since the
 * endpoint was made), then a signed POST that follows no redirect, under the timeout for the
 * answer and up to 64 KiB of its body. Never throws: every failure is a result to record.
 */
export async function sendAttempt(
  claimed: ClaimedAttempt,
  config: DeliveryConfig,
): Promise<AttemptResult> {
  const attemptedAt = new Date();
  const started = Date.now();
  const check = checkOutboundUrl(claimed.url, { allowLoopback: config.allowLoopback });
  if (!check.ok) {
    return { attemptedAt, latencyMs: 0, error: `unsafe_url: ${check.reason}`, hostFailure: false };
  }
  const body = deliveryBody(claimed.event);
  const timestamp = Math.floor(attemptedAt.getTime() / 1000);
  try {
    const { status, text } = await timeout(config.timeoutMs).execute(async (signal) => {
      const response = await fetch(check.url, {
        method: "POST",
        redirect: "manual",
        signal,
        headers: {
          "content-type": "application/json",
          "user-agent": "Breakwater-Webhooks/1",
          "webhook-id": claimed.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await signStandardWebhook({
            id: claimed.id,
            timestamp,
            body,
            secrets: claimed.secrets,
          }),
        },
        body: body as Uint8Array<ArrayBuffer>,
      });
      return { status: response.status, text: await readCapped(response) };
    });
    const latencyMs = Date.now() - started;
    const result = { attemptedAt, latencyMs, statusCode: status, responseBody: text };
    if (status >= 200 && status < 300) return { ...result, hostFailure: false };
    const error =
      status >= 300 && status < 400 ? `redirect ${status} not followed` : `answered ${status}`;
    return { ...result, error, hostFailure: hostFailureStatus(status) };
  } catch (error) {
    const message = isTimeoutError(error)
      ? `timed out after ${config.timeoutMs} ms`
      : `network error: ${String((error as Error)?.message ?? error).slice(0, 200)}`;
    return { attemptedAt, latencyMs: Date.now() - started, error: message, hostFailure: true };
  }
}
