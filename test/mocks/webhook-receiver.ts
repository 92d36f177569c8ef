// A webhook receiver of the kind a product's customer runs: records every request (headers and
// raw body, for the `standardwebhooks` oracle to verify) and answers 2xx, or fails on command:
// an error status, 410 Gone, a redirect, a hang, a reset connection.
import { type Answer, type FailMode, type RecordedCall, startMock } from "./harness.ts";

/** One request as received: `text` is the raw body, exactly as sent. */
export type ReceivedWebhook = RecordedCall;

/**
 * What the receiver does instead of answering 200. `large`: a 200 whose body is 100 KiB (more
 * than a sender should keep); `redirect`: a 302 to another path.
 */
export type ReceiverMode = "ok" | "large" | "500" | "410" | "redirect" | "hang" | "reset";

export interface WebhookReceiver {
  /** Base URL, e.g. `http://127.0.0.2:40123`. */
  url: string;
  /** Requests to the hook path (`/hook`), in arrival order. */
  received(): ReceivedWebhook[];
  /** Requests to any other path: a followed redirect lands here. */
  strays(): ReceivedWebhook[];
  /** From now on every request gets `mode`. */
  setMode(mode: ReceiverMode): void;
  /** The next `times` requests get `mode`, then the current mode again. */
  failNext(mode: ReceiverMode, times: number): void;
  /** Resolves once `count` hook requests have arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

const HOOK = "/hook";

const OK: Answer = { status: 200, json: { received: true } };

const ANSWERS: Record<ReceiverMode, FailMode> = {
  ok: OK,
  large: { status: 200, text: "x".repeat(100 * 1024) },
  "500": "500",
  "410": "410",
  redirect: { status: 302, text: "", headers: { location: "/elsewhere" } },
  hang: "hang",
  reset: "reset",
};

/** Starts a receiver on `host` (any loopback address: 127.0.0.2 is another host to a breaker). */
export async function startWebhookReceiver(host = "127.0.0.1"): Promise<WebhookReceiver> {
  const mock = await startMock(
    {
      answer: (call) => (call.path === HOOK ? OK : { status: 200, text: "" }),
      errorBody: () => ({ received: false }),
    },
    { host },
  );
  const hooks = () => mock.calls().filter((call) => call.path === HOOK);
  return {
    url: mock.url,
    received: hooks,
    strays: () => mock.calls().filter((call) => call.path !== HOOK),
    setMode: (mode) =>
      mock.failWhen(
        mode === "ok" ? undefined : (call) => (call.path === HOOK ? ANSWERS[mode] : undefined),
      ),
    failNext: (mode, times) => mock.failNext(ANSWERS[mode], times),
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (hooks().length < count) {
        if (Date.now() > deadline)
          throw new Error(`received ${hooks().length} of ${count} webhooks`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return hooks();
    },
    close: mock.close,
  };
}
