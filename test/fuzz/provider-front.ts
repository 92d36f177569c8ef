import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";

/**
 * A pass-through in front of the mock providers, for one reason: a mock is a small script that
 * drops the connection when a request surprises it (JSON nested deeper than Node's stringify
 * goes, a `null` content part), where the real provider answers 400. A dropped connection is a
 * network failure to the proxy (retried, counted against the provider's breaker, a 502 in the
 * end), so without this front every such mock limitation would look like a 5xx of the product.
 * Here a mock that hangs up before answering becomes the 400 its vendor would send, and is
 * counted; everything else (statuses, headers, SSE streams, cuts mid-stream) passes unchanged.
 */
export interface ProviderFront {
  /** The base URL to configure for `provider` (e.g. `OPENAI_BASE_URL`). */
  baseUrl(provider: string): string;
  /** Where `provider`'s requests go: the mock's own base URL. */
  route(provider: string, upstream: string): void;
  /** Requests each mock hung up on (answered 400 here instead). */
  dropped: Map<string, number>;
  close(): Promise<void>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

// What each vendor answers a request it cannot parse.
const REFUSALS: Record<string, { status: number; body: unknown }> = {
  openai: {
    status: 400,
    body: {
      error: {
        message: "We could not parse the JSON body of your request.",
        type: "invalid_request_error",
        param: null,
        code: null,
      },
    },
  },
  anthropic: {
    status: 400,
    body: { type: "error", error: { type: "invalid_request_error", message: "Invalid request" } },
  },
  gemini: {
    status: 400,
    body: {
      error: { code: 400, message: "Invalid JSON payload received.", status: "INVALID_ARGUMENT" },
    },
  },
  fal: {
    status: 422,
    body: { detail: [{ loc: ["body"], msg: "Invalid request body", type: "value_error" }] },
  },
};

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startProviderFront(): Promise<ProviderFront> {
  const routes = new Map<string, string>();
  const dropped = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const [, provider = "", ...rest] = (req.url ?? "/").split("/");
    const upstream = routes.get(provider);
    const body = await readAll(req);
    if (!upstream) {
      res.writeHead(404, { "content-type": "application/json" }).end('{"error":"no route"}');
      return;
    }
    const target = new URL(`${upstream.replace(/\/$/, "")}/${rest.join("/")}`);
    const headers = { ...req.headers, host: target.host };
    delete headers.connection;
    const refuse = () => {
      if (res.destroyed) return; // the proxy left first: nobody to answer
      if (res.headersSent) return void res.destroy();
      dropped.set(provider, (dropped.get(provider) ?? 0) + 1);
      const refusal = REFUSALS[provider] ?? REFUSALS.openai!;
      res.writeHead(refusal.status, { "content-type": "application/json" });
      res.end(JSON.stringify(refusal.body));
    };
    const out = request(
      target,
      { method: req.method, headers: { ...headers, "content-length": String(body.length) }, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        res.flushHeaders();
        // A cut mid-answer stays a cut: the proxy's handling of broken streams is under test.
        answer.on("error", () => res.destroy());
        answer.pipe(res);
      },
    );
    out.on("error", refuse);
    // The proxy hung up (its own timeout, a client gone): stop asking the mock.
    res.on("close", () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("provider front has no port");
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    baseUrl: (provider) => `${origin}/${provider}`,
    route: (provider, upstream) => void routes.set(provider, upstream),
    dropped,
    close: () => {
      agent.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
