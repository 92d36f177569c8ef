// The node:http harness behind the Gemini and fal mocks: it records every request, applies the
// failure modes queued with failNext, and writes the vendor's answers as JSON or SSE.
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

/** How the next request(s) should fail. */
export type FailMode =
  "500" | "503" | "429" | "401" | "400" | "hang" | "reset" | "cut-stream" | "slow-first-token";

/** The failure modes that are an HTTP status with the vendor's error body. */
export type StatusMode = "500" | "503" | "429" | "401" | "400";

/** One request as the mock received it. */
export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON, the raw text when it is not JSON, or undefined when empty. */
  body: unknown;
}

/** A vendor answer: a JSON body, or server-sent events (each `data:` a JSON value). */
export type Reply =
  | { status: number; headers?: Record<string, string>; json: unknown }
  | { status: number; headers?: Record<string, string>; events: unknown[] };

export interface MockServer {
  /** What the provider's base URL variable gets: `http://127.0.0.1:<port>`. */
  url: string;
  calls(): RecordedCall[];
  failNext(mode: FailMode, times?: number): void;
  close(): Promise<void>;
}

export interface MockOptions {
  answer(call: RecordedCall): Reply;
  failure(mode: StatusMode, call: RecordedCall): Reply;
  /** Line end between SSE fields; Google's servers end lines with CRLF. */
  eol: "\n" | "\r\n";
  /** The wait of "slow-first-token", in ms. */
  slowMs: number;
}

const STATUS_MODES = new Set<FailMode>(["500", "503", "429", "401", "400"]);
// A pause between SSE events, so they leave as separate network writes like a real stream's.
const EVENT_GAP_MS = 5;

async function record(req: IncomingMessage): Promise<RecordedCall> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown = text === "" ? undefined : text;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    // Not JSON: recorded as the raw text, which a test can still assert on.
  }
  const url = new URL(req.url ?? "/", "http://mock");
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [name, String(value)]),
  );
  return {
    method: req.method ?? "GET",
    path: decodeURIComponent(url.pathname),
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
  };
}

async function write(
  res: ServerResponse,
  reply: Reply,
  mode: FailMode | undefined,
  options: MockOptions,
): Promise<void> {
  const slow = mode === "slow-first-token";
  const cut = mode === "cut-stream";
  if ("json" in reply) {
    const text = JSON.stringify(reply.json);
    if (slow) await sleep(options.slowMs);
    res.writeHead(reply.status, {
      "content-type": "application/json; charset=UTF-8",
      ...reply.headers,
    });
    // A cut JSON answer stops half-way through its body, then the connection drops.
    if (cut) res.write(text.slice(0, Math.floor(text.length / 2)), () => res.destroy());
    else res.end(text);
    return;
  }
  res.writeHead(reply.status, { "content-type": "text/event-stream", ...reply.headers });
  res.flushHeaders();
  if (slow) await sleep(options.slowMs);
  // A cut stream sends the first half of its events, then the connection drops without an end.
  const count = cut ? Math.max(1, Math.floor(reply.events.length / 2)) : reply.events.length;
  for (const [i, event] of reply.events.slice(0, count).entries()) {
    if (i > 0) await sleep(EVENT_GAP_MS);
    const data = `data: ${JSON.stringify(event)}${options.eol}${options.eol}`;
    // Each event is flushed before the next, and before a cut drops the connection.
    await new Promise<void>((resolve) => res.write(data, () => resolve()));
  }
  if (cut) res.destroy();
  else res.end();
}

/** Starts a mock on a free loopback port. */
export async function startMockServer(options: MockOptions): Promise<MockServer> {
  const calls: RecordedCall[] = [];
  const queue: FailMode[] = [];
  const server = createServer((req, res) => {
    void (async () => {
      const call = await record(req);
      calls.push(call);
      const mode = queue.shift();
      if (mode === "hang") return; // accepted, never answered
      if (mode === "reset") return req.socket.destroy();
      const reply =
        mode && STATUS_MODES.has(mode)
          ? options.failure(mode as StatusMode, call)
          : options.answer(call);
      await write(res, reply, mode, options);
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("mock has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    calls: () => [...calls],
    failNext: (mode, times = 1) => {
      for (let i = 0; i < times; i++) queue.push(mode);
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging requests and open streams would keep close() waiting forever.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
