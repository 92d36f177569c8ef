// A webhook receiver of the kind a product's customer runs: records every request (headers and
// raw body, for the `standardwebhooks` oracle to verify) and answers 2xx, or fails on command:
// an error status, 410 Gone, a redirect, a hang, a reset connection.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as received. */
export interface ReceivedWebhook {
  path: string;
  headers: Record<string, string>;
  /** The raw body, exactly as sent. */
  body: string;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** What the receiver does instead of answering 200. */
/** `large`: a 200 whose body is 100 KiB (more than a sender should keep). */
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

/** Starts a receiver on `host` (any loopback address: 127.0.0.2 is another host to a breaker). */
export async function startWebhookReceiver(host = "127.0.0.1"): Promise<WebhookReceiver> {
  const hooks: ReceivedWebhook[] = [];
  const strays: ReceivedWebhook[] = [];
  const queued: ReceiverMode[] = [];
  const hanging = new Set<ServerResponse>();
  let mode: ReceiverMode = "ok";

  const answer = (res: ServerResponse, current: ReceiverMode) => {
    if (current === "hang") return void hanging.add(res);
    if (current === "reset") return void res.socket?.destroy();
    if (current === "large") return void res.writeHead(200).end("x".repeat(100 * 1024));
    if (current === "redirect") {
      res.writeHead(302, { location: "/elsewhere" }).end();
      return;
    }
    const status = current === "ok" ? 200 : Number(current);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ received: current === "ok" }));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers))
        if (typeof value === "string") headers[name] = value;
      const call = {
        path: req.url ?? "",
        headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      if (call.path.split("?")[0] !== "/hook") {
        strays.push(call);
        return void res.writeHead(200).end();
      }
      hooks.push(call);
      answer(res, queued.shift() ?? mode);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const url = host.includes(":") ? `http://[${host}]:${port}` : `http://${host}:${port}`;
  return {
    url,
    received: () => [...hooks],
    strays: () => [...strays],
    setMode: (next) => void (mode = next),
    failNext: (next, times) => queued.push(...new Array<ReceiverMode>(times).fill(next)),
    async waitFor(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (hooks.length < count) {
        if (Date.now() > deadline) throw new Error(`received ${hooks.length} of ${count} webhooks`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return [...hooks];
    },
    async close() {
      for (const res of hanging) res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
