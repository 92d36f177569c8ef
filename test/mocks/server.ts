// The harness both vendor mocks share: a node:http server that records every request, answers
// with what the vendor module scripts, and fails on command.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { parseSse } from "../../shared/providers/sse.ts";
import type { SseEvent } from "../../shared/providers/types.ts";

/** One request as a mock received it. */
export interface RecordedCall {
  method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string>;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
}

/**
 * What a mock does instead of its normal answer: an error status in the vendor's shape (429 with
 * `Retry-After: 1`), `hang` (accept, never answer), `reset` (destroy the socket), `cut-stream`
 * (half the answer, then destroy the socket), `slow-first-token` (headers at once, then a wait
 * before the first SSE event, or before the whole JSON answer).
 */
export type FailMode =
  | "500"
  | "503"
  | "429"
  | "529"
  | "401"
  | "400"
  | "hang"
  | "reset"
  | "cut-stream"
  | "slow-first-token";

/** A vendor's JSON answer with its status. */
export type JsonAnswer = { status: number; json: unknown };

/** A vendor's answer: JSON, or the texts of SSE events (each with its blank line). */
export type Answer = JsonAnswer | { sse: string[] };

/** What a vendor module scripts; the harness does the rest. */
export interface Vendor {
  answer(call: RecordedCall): Answer;
  /** The vendor's error body for a status it is told to fail with. */
  errorBody(status: number): unknown;
}

/** A running mock. `url` is what the provider's base URL variable gets. */
export interface MockServer {
  url: string;
  calls(): RecordedCall[];
  /** The next `times` requests fail with `mode` (queued after any failures already asked for). */
  failNext(mode: FailMode, times?: number): void;
  close(): Promise<void>;
}

/** Options both mocks take. */
export interface MockOptions {
  /** The key the mock expects; any other gets the vendor's 401. */
  apiKey?: string;
  /** How long `slow-first-token` waits, in ms; 2000 unless told. */
  slowMs?: number;
}

const EVENT_GAP_MS = 5;

async function record(request: IncomingMessage): Promise<RecordedCall> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  let body: unknown = text === "" ? undefined : text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: the raw text is what the test gets to see.
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return { method: request.method ?? "GET", path: request.url ?? "/", headers, body };
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
  delayMs: number,
) {
  if ("json" in answer) {
    if (mode === "slow-first-token") await sleep(delayMs);
    const text = JSON.stringify(answer.json);
    response.writeHead(answer.status, { "content-type": "application/json" });
    if (mode !== "cut-stream") return void response.end(text);
    await write(response, text.slice(0, Math.floor(text.length / 2)));
    return void response.socket?.destroy();
  }
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  response.flushHeaders();
  if (mode === "slow-first-token") await sleep(delayMs);
  // Half the events, so the cut always falls before the vendor's end-of-stream marker.
  const events =
    mode === "cut-stream"
      ? answer.sse.slice(0, Math.max(1, Math.floor(answer.sse.length / 2)))
      : answer.sse;
  for (const [i, event] of events.entries()) {
    // A pause between events, so they leave as separate network writes, as a real stream's do.
    if (i > 0) await sleep(EVENT_GAP_MS);
    await write(response, event);
  }
  if (mode === "cut-stream") response.socket?.destroy();
  else response.end();
}

/** Starts a mock for `vendor` on a free loopback port; `basePath` is appended to its URL. */
export async function startMock(
  vendor: Vendor,
  basePath: string,
  options: MockOptions,
): Promise<MockServer> {
  const recorded: RecordedCall[] = [];
  const queue: FailMode[] = [];
  const delayMs = options.slowMs ?? 2000;
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const call = await record(request);
    recorded.push(call);
    const mode = queue.shift();
    if (mode === "hang") return;
    if (mode === "reset") return void request.socket.destroy();
    if (mode && /^\d+$/.test(mode)) {
      const status = Number(mode);
      const headers = status === 429 ? { "retry-after": "1" } : {};
      response.writeHead(status, { "content-type": "application/json", ...headers });
      return void response.end(JSON.stringify(vendor.errorBody(status)));
    }
    await send(response, vendor.answer(call), mode, delayMs);
  };
  // A client that goes away mid-request or mid-answer just loses its connection.
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("mock has no port");
  return {
    url: `http://127.0.0.1:${address.port}${basePath}`,
    calls: () => [...recorded],
    failNext: (mode, times = 1) => queue.push(...Array<FailMode>(times).fill(mode)),
    close: () => {
      // Hung and streaming connections would otherwise keep `close` waiting forever.
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `event:` and `data:` lines of one SSE event, with its blank line. */
export function sseEvent(data: unknown, event?: string): string {
  return `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

/** The mocks' deterministic reply to a user text, as the pieces it streams in. */
export function replyPieces(userText: string, maxTokens: number | undefined): string[] {
  const pieces = `You said: ${userText}`.split(/(?=\s)/);
  return maxTokens === undefined ? pieces : pieces.slice(0, maxTokens);
}

/** The arguments of the weather tool call both mocks make, in the fragments they stream. */
export const WEATHER_ARGUMENT_PIECES = ['{"loca', 'tion": "Par', 'is"}'];

/** About four characters a token, as the vendors' tokenisers average for English. */
export function countTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? "").length / 4);
}

/**
 * Reads an SSE body to its end, or to where it broke off: the events, and whether the body failed
 * (a cut connection), which is what a stream translator's `finish` then has to make of it.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
): Promise<{ events: SseEvent[]; failed: boolean }> {
  const events: SseEvent[] = [];
  try {
    for await (const event of body.pipeThrough(parseSse())) events.push(event);
    return { events, failed: false };
  } catch {
    return { events, failed: true };
  }
}
