// The harness both REST vendor fakes (Twilio, Stripe) share: a node:http server that reads each
// request whole, lets the vendor module answer it, and fails on command. Unlike the LLM mocks'
// harness (server.ts), a failure can come after the vendor acted, which is the case that matters
// for calls that are not idempotent: `hang` and `reset` let the vendor do its work first.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";

/** One request as the fake received it. */
export interface FakeRequest {
  method: string;
  /** Path and query. */
  path: string;
  /** Lower-case names, as Node gives them. */
  headers: Record<string, string>;
  body: string;
}

/** The vendor's answer. */
export interface FakeAnswer {
  status: number;
  json: unknown;
  headers?: Record<string, string>;
}

/**
 * Instead of the normal answer: `500`, `503`, `429` (with `Retry-After: 1`) or a scripted
 * `{status, json}` answer, each before the vendor acts; `hang` (the vendor acts, the answer never
 * comes); `reset` (the vendor acts, then the connection is destroyed: the answer is lost).
 */
export type FailMode = "500" | "503" | "429" | "hang" | "reset" | FakeAnswer;

export interface Vendor {
  handle(request: FakeRequest): FakeAnswer | Promise<FakeAnswer>;
  /** The vendor's error body for a status it is told to fail with. */
  errorBody(status: number): unknown;
}

export interface Fake {
  /** The base URL its `*_API_BASE_URL` variable gets. */
  url: string;
  requests(): FakeRequest[];
  /** The next `times` requests fail with `mode` (queued after failures already asked for). */
  failNext(mode: FailMode, times?: number): void;
  close(): Promise<void>;
}

async function read(request: IncomingMessage): Promise<FakeRequest> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: request.method ?? "GET",
    path: request.url ?? "/",
    headers,
    body: Buffer.concat(chunks).toString("utf8"),
  };
}

function answer(response: ServerResponse, { status, json, headers }: FakeAnswer): void {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(json));
}

/** Starts a fake of `vendor` on a free loopback port (or `port`). */
export async function startFake(vendor: Vendor, port = 0): Promise<Fake> {
  const received: FakeRequest[] = [];
  const queue: FailMode[] = [];
  const handle = async (incoming: IncomingMessage, response: ServerResponse) => {
    const request = await read(incoming);
    received.push(request);
    const mode = queue.shift();
    if (typeof mode === "object") return answer(response, mode);
    if (mode === "500" || mode === "503" || mode === "429") {
      const status = Number(mode);
      const headers: Record<string, string> = status === 429 ? { "retry-after": "1" } : {};
      return answer(response, { status, json: vendor.errorBody(status), headers });
    }
    const result = await vendor.handle(request);
    if (mode === "hang") return;
    if (mode === "reset") return void incoming.socket.destroy();
    answer(response, result);
  };
  const server = createServer((incoming, response) => {
    handle(incoming, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("fake has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests: () => [...received],
    failNext: (mode, times = 1) => queue.push(...Array<FailMode>(times).fill(mode)),
    close: () => {
      server.closeAllConnections(); // hung connections would keep `close` waiting
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The user and password of a Basic `Authorization` header. */
export function basicAuth(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** A random id in a vendor's style: `prefix` and `length` characters of [0-9a-f] or base62. */
export function vendorId(prefix: string, length: number, alphabet = "0123456789abcdef"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return prefix + [...bytes].map((b) => alphabet[b % alphabet.length]).join("");
}
