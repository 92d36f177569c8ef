// A fault-injecting reverse proxy in front of a vendor mock. The mocks (owned elsewhere) only fail
// a fixed count of next requests; chaos needs failures by pattern (every nth, seeded random) and
// answers the mocks cannot give (any Retry-After), decided per request as it arrives.
import { createServer, type IncomingMessage } from "node:http";

/** What the proxy does with one request: pass it on, answer it itself, or never answer. */
export type FaultAction =
  | { pass: true }
  | { status: number; headers?: Record<string, string>; json: unknown }
  | { hang: true };

export const PASS: FaultAction = { pass: true };

/** One request as the proxy saw it. */
export interface ProxiedCall {
  /** Arrival order, from 0. */
  index: number;
  /** performance.now() at arrival (same clock as the test's). */
  at: number;
  path: string;
  body: string;
  action: "pass" | "fault" | "hang";
}

export interface FaultProxy {
  /** The target's URL with the proxy's origin: what the provider's base URL variable gets. */
  url: string;
  calls(): ProxiedCall[];
  /** Replaces the decision made for each arriving request (default: pass everything). */
  decide(fn: (call: { index: number; path: string; body: string }) => FaultAction): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// Hop-by-hop and length headers: fetch sets its own, and a stale length would corrupt the body.
const DROPPED = new Set([
  "host",
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
]);

/** Starts a proxy to `targetUrl` (e.g. the OpenAI mock's `http://127.0.0.1:p/v1`). */
export async function startFaultProxy(targetUrl: string): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const calls: ProxiedCall[] = [];
  let decideFn: (call: { index: number; path: string; body: string }) => FaultAction = () => PASS;
  const server = createServer((req, res) => {
    void (async () => {
      const at = performance.now();
      const body = await readBody(req);
      const index = calls.length;
      const path = req.url ?? "/";
      const text = body.toString("utf8");
      const action = decideFn({ index, path, body: text });
      const kind = "pass" in action ? "pass" : "hang" in action ? "hang" : "fault";
      calls.push({ index, at, path, body: text, action: kind });
      if ("hang" in action) return; // accepted, never answered: the caller's timeout must act
      if ("status" in action) {
        res.writeHead(action.status, { "content-type": "application/json", ...action.headers });
        res.end(JSON.stringify(action.json));
        return;
      }
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !DROPPED.has(name)) headers[name] = String(value);
      }
      const upstream = await fetch(`${target.origin}${path}`, {
        method: req.method ?? "GET",
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!DROPPED.has(name)) out[name] = value;
      });
      // Non-streamed answers only (what the chaos scenarios send): buffered, then written whole.
      const payload = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, out);
      res.end(payload);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("fault proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}${target.pathname.replace(/\/$/, "")}`,
    calls: () => [...calls],
    decide: (fn) => void (decideFn = fn),
    close: () => {
      // Hung requests would otherwise keep close() waiting forever.
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** mulberry32: a tiny seeded PRNG, so a "random" failure pattern is the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
