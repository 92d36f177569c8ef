// The one harness every vendor mock runs on: a node:http server on a free loopback port that
// records each request, answers with what the vendor module says, fails on command and closes.
// A vendor module only describes its wire format and what it refuses; how to be an HTTP server,
// and how to fail like one, lives here.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";

/** One request as a mock received it. */
export interface RecordedCall {
  method: string;
  /** The path, percent-decoded, without the query: `/v1/chat/completions`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string>;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  /** The body exactly as sent (a form, a signed payload), as UTF-8 text. */
  text: string;
  /** When it arrived, ms since the epoch. */
  at: number;
}

/** A vendor's JSON answer with its status. */
export type JsonAnswer = { status: number; json: unknown; headers?: Record<string, string> };

/**
 * A vendor's answer: JSON, the texts of SSE events (each with its blank line, in the vendor's
 * line ends; always a 200), or any other text.
 */
export type Answer =
  | JsonAnswer
  | { sse: string[]; headers?: Record<string, string> }
  | { status: number; text: string; headers?: Record<string, string> };

/** The statuses a mock can be told to fail with, each answered with the vendor's error body. */
export type StatusFault = "400" | "401" | "410" | "429" | "500" | "503" | "529";

/**
 * What a mock does instead of its normal answer. Before the vendor acts: a status (its error
 * body, and `Retry-After: 1` on a 429) or a scripted answer, sent as is. After the vendor acts
 * (a message accepted, a payment created): `hang` (the answer never comes) and `reset` (the
 * connection drops, the answer is lost). In the vendor's answer: `cut-stream` (half the SSE events
 * or half the body, then the connection drops) and `slow-first-token` (SSE headers at once and
 * the first event after a wait; a JSON answer after that wait, whole).
 */
export type FailMode = StatusFault | "hang" | "reset" | "cut-stream" | "slow-first-token" | Answer;

/** What a vendor module describes; the harness does the rest. */
export interface Vendor {
  /** The answer to one request: what the vendor does with it, or why it refuses it. */
  answer(call: RecordedCall): Answer | Promise<Answer>;
  /** The vendor's error body for a status it is told to fail with. */
  errorBody(status: number): unknown;
  /** The content type of its JSON answers; `application/json` unless told. */
  jsonType?: string;
}

/** A running mock. `url` is what the vendor's base URL variable gets. */
export interface MockServer {
  url: string;
  calls(): RecordedCall[];
  /** The next `times` requests fail with `mode` (queued after any failures already asked for). */
  failNext(mode: FailMode, times?: number): void;
  /**
   * From now on, each request `rule` gives a mode fails with it, unless a `failNext` failure is
   * due first; `undefined` stops it. Lets a failure follow what a request asks for, not its turn.
   */
  failWhen(rule: ((call: RecordedCall) => FailMode | undefined) | undefined): void;
  close(): Promise<void>;
}

/** What a vendor mock's starter takes. */
export interface MockOptions {
  /** The key the mock expects; any other gets the vendor's refusal. */
  apiKey?: string;
  /** How long `slow-first-token` waits, in ms; 2000 unless told. */
  slowMs?: number;
}

export interface HarnessOptions {
  /** Appended to `url`: `/v1` for OpenAI, whose base URL variable includes it. */
  basePath?: string;
  /** A loopback address: 127.0.0.2 is another host to a per-host breaker. */
  host?: string;
  /** 0 (a free one) unless told. */
  port?: number;
  /** How long `slow-first-token` waits, in ms; 2000 unless told. */
  slowMs?: number;
}

// A pause between SSE events, so they leave as separate network writes, as a real stream's do.
const EVENT_GAP_MS = 5;

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname; // a malformed escape is recorded as sent
  }
}

async function record(request: IncomingMessage): Promise<RecordedCall> {
  const at = Date.now();
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = text; // not JSON: the raw text is what the test gets to see
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const url = new URL(request.url ?? "/", "http://mock");
  return {
    method: request.method ?? "GET",
    path: decodePath(url.pathname),
    query: Object.fromEntries(url.searchParams),
    headers,
    body,
    text,
    at,
  };
}

/** Writes `text` and resolves once it has left for the socket, so a destroy cannot drop it. */
function write(response: ServerResponse, text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    response.write(text, (error) => (error ? reject(error) : resolve())),
  );
}

async function send(
  response: ServerResponse,
  answer: Answer,
  mode: FailMode | undefined,
  options: { jsonType: string; slowMs: number },
): Promise<void> {
  const cut = mode === "cut-stream";
  if ("sse" in answer) {
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...answer.headers,
    });
    response.flushHeaders();
    if (mode === "slow-first-token") await sleep(options.slowMs);
    // Half the events, so the cut always falls before the vendor's end-of-stream marker.
    const events = cut
      ? answer.sse.slice(0, Math.max(1, Math.floor(answer.sse.length / 2)))
      : answer.sse;
    for (const [i, event] of events.entries()) {
      if (i > 0) await sleep(EVENT_GAP_MS);
      await write(response, event);
    }
    if (cut) response.socket?.destroy();
    else response.end();
    return;
  }
  if (mode === "slow-first-token") await sleep(options.slowMs);
  const json = "json" in answer;
  const text = json ? JSON.stringify(answer.json) : answer.text;
  response.writeHead(answer.status, {
    ...(json ? { "content-type": options.jsonType } : {}),
    ...answer.headers,
  });
  if (!cut) return void response.end(text);
  await write(response, text.slice(0, Math.floor(text.length / 2)));
  response.socket?.destroy();
}

/** Starts a mock of `vendor` on a free loopback port (or the one given). */
export async function startMock(vendor: Vendor, options: HarnessOptions = {}): Promise<MockServer> {
  const recorded: RecordedCall[] = [];
  const queue: FailMode[] = [];
  let rule: ((call: RecordedCall) => FailMode | undefined) | undefined;
  const sending = {
    jsonType: vendor.jsonType ?? "application/json",
    slowMs: options.slowMs ?? 2000,
  };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const call = await record(request);
    recorded.push(call);
    const mode = queue.shift() ?? rule?.(call);
    if (typeof mode === "object") return send(response, mode, undefined, sending);
    if (mode && /^\d+$/.test(mode)) {
      const status = Number(mode);
      const headers: Record<string, string> = status === 429 ? { "retry-after": "1" } : {};
      return send(
        response,
        { status, json: vendor.errorBody(status), headers },
        undefined,
        sending,
      );
    }
    const answer = await vendor.answer(call);
    if (mode === "hang") return;
    if (mode === "reset") return void request.socket.destroy();
    await send(response, answer, mode, sending);
  };
  // A client that goes away mid-request or mid-answer just loses its connection.
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, host, resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("mock has no port");
  const origin = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${origin}:${address.port}${options.basePath ?? ""}`,
    calls: () => [...recorded],
    failNext: (mode, times = 1) => queue.push(...Array<FailMode>(times).fill(mode)),
    failWhen: (next) => void (rule = next),
    close: () => {
      // Hung and streaming connections would otherwise keep `close` waiting forever.
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
