import { Agent, type ClientRequest, request } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";

/** One request exactly as it goes on the wire (what fetch would not let us send, node:http does). */
export interface WireRequest {
  method: string;
  /** Path and query as they appear on the request line (already percent-encoded where needed). */
  target: string;
  /** In order, duplicates kept: each pair is its own header line. */
  headers: [string, string][];
  body: Uint8Array;
  /**
   * `length`: an honest Content-Length. `chunked`: no length, the body in chunks (the server only
   * learns the size by reading it). `short`: a Content-Length that lies low, so the worker sees a
   * truncated body (a lie high would only leave the server waiting for bytes that never come).
   */
  framing: "length" | "chunked" | "short";
}

export interface WireResponse {
  status: number;
  /** Raw header pairs as received, lower-cased names. */
  headers: [string, string][];
  /** The body, decoded when the runtime compressed it (workerd does for `accept-encoding`). */
  body: Buffer;
  ms: number;
}

// Bodies above this are sent as curl sends large uploads, with `Expect: 100-continue`: workerd
// says "continue" once the worker reads the body, and a worker that answers without reading it
// (413 on a declared length, 405, a GET handler) is heard instead of racing our writes into a
// connection it closed, whose reset can overtake its answer.
const EXPECT_OVER = 16 * 1024;
const CHUNK = 64 * 1024;

// Keep-alive keeps a few thousand requests from costing as many handshakes; requests that lie
// about their length or may be refused mid-body get their own connection.
const agent = new Agent({ keepAlive: true, maxSockets: 2 });

function decode(encoding: string | undefined, raw: Buffer): Buffer {
  try {
    if (encoding === "gzip") return gunzipSync(raw);
    if (encoding === "deflate") return inflateSync(raw);
    if (encoding === "br") return brotliDecompressSync(raw);
  } catch {
    // Left as received: the properties then see a body that is not what it claims to be.
  }
  return raw;
}

async function writeBody(req: ClientRequest, body: Buffer, chunked: boolean, stop: () => boolean) {
  if (!chunked) return void req.end(body);
  // Chunk by chunk, each flushed before the next, stopping once the worker has answered.
  for (let at = 0; at < body.length && !stop(); at += CHUNK) {
    await new Promise<void>((resolve) => req.write(body.subarray(at, at + CHUNK), () => resolve()));
  }
  if (!stop()) req.end();
}

/**
 * Sends `req` to `origin` and reads the whole answer. Rejects after `timeoutMs`, or when the
 * connection fails before an answer (`code` kept, e.g. EPIPE when the worker closed it first).
 */
export function send(origin: string, req: WireRequest, timeoutMs = 20_000): Promise<WireResponse> {
  const url = new URL(origin);
  const started = Date.now();
  // Raw header arrays make Node send exactly these lines: it adds no Host of its own.
  const headers: string[] = ["host", url.host];
  for (const [name, value] of req.headers) headers.push(name, value);
  const body = Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
  if (req.framing === "length") headers.push("content-length", String(body.length));
  if (req.framing === "short") {
    headers.push("content-length", String(Math.floor(body.length / 2)), "connection", "close");
  }
  if (req.framing === "chunked") headers.push("transfer-encoding", "chunked");
  const expect = body.length > EXPECT_OVER;
  if (expect) headers.push("expect", "100-continue");
  const ownConnection = req.framing !== "length" || expect;

  return new Promise((resolve, reject) => {
    let answered = false;
    let started100 = false;
    const clientRequest = request(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: req.target,
        headers,
        agent: ownConnection ? false : agent,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(timer);
          clearTimeout(fallback);
          const pairs: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          }
          const encoding = res.headers["content-encoding"]?.toLowerCase();
          resolve({
            status: res.statusCode ?? 0,
            headers: pairs,
            body: decode(encoding, Buffer.concat(chunks)),
            ms: Date.now() - started,
          });
          // An answer before the body was sent leaves the request unfinished: drop its socket.
          if (ownConnection) clientRequest.destroy();
        });
        res.on("error", fail);
      },
    );
    const timer = setTimeout(() => {
      clientRequest.destroy(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    function fail(error: Error) {
      clearTimeout(timer);
      clearTimeout(fallback);
      reject(error);
    }
    clientRequest.on("error", (error: NodeJS.ErrnoException) => {
      // The worker answered early and closed while we still wrote: the answer is what counts.
      if (answered) return;
      fail(error);
    });
    const go = () => {
      if (started100 || answered) return;
      started100 = true;
      writeBody(clientRequest, body, req.framing === "chunked", () => answered).catch(() => {});
    };
    // A server that never says "continue" gets the body anyway after a while, as curl does.
    const fallback = setTimeout(go, expect ? 3_000 : 0);
    if (expect) clientRequest.on("continue", go);
    else go();
  });
}

/** Closes the idle keep-alive connections (after the run). */
export function closeConnections(): void {
  agent.destroy();
}
