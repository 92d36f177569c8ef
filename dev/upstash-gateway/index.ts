import { createServer, type Server } from "node:http";
import { Executor } from "./executor.ts";
import { createHandler } from "./http.ts";
import { connectRedis } from "./redis.ts";
import { ScriptRegistry } from "./scripts.ts";

/** Where the gateway connects and listens. */
export interface UpstashGatewayOptions {
  /** redis://host:port[/db] of the redis-server behind the gateway. */
  redisUrl: string;
  /** The token clients must present (`new Redis({ url, token })`). */
  token: string;
  /** Default: a free port. */
  port?: number;
  /** Default: 127.0.0.1. */
  host?: string;
}

/** A running gateway. */
export interface UpstashGateway {
  /** Base URL to give an Upstash client as `url`. */
  url: string;
  port: number;
  /** HTTP requests served so far: Redis round trips, as a client sees them. */
  requestCount(): number;
  /** Stops serving, drops open connections and disconnects from Redis. */
  close(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      if (typeof address === "object" && address) resolve(address.port);
      else reject(new Error(`Upstash gateway: no port for ${String(address)}`));
    });
  });
}

/**
 * Starts a local Upstash-REST-compatible gateway over a real redis-server, so our Redis client,
 * and the official @upstash/redis and @upstash/ratelimit its tests run, work unchanged against
 * plain Redis 7. Dev and test tooling only. Rejects if the token is empty or redis-server cannot
 * be reached.
 */
export async function startUpstashGateway(options: UpstashGatewayOptions): Promise<UpstashGateway> {
  if (!options.token) throw new Error("Upstash gateway: `token` must not be empty");
  const host = options.host ?? "127.0.0.1";
  const redis = await connectRedis(options.redisUrl);
  const executor = new Executor(redis, new ScriptRegistry());
  const handler = createHandler({ token: options.token, executor });
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    handler(req, res);
  });
  const port = await listen(server, options.port ?? 0, host).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    requestCount: () => requests,
    async close() {
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      // Clients keep connections alive; close() alone would wait for them.
      server.closeAllConnections();
      try {
        await closed;
      } finally {
        redis.disconnect();
      }
    },
  };
}
