// A local stand-in for a Supabase project's Data API, limited to what the edge code uses:
// `supabase.rpc()`, i.e. PostgREST's `/rest/v1/rpc/<function>`, over a real PostgreSQL, so the
// real supabase-js calls our SQL functions with real grants, RLS and transactions. Dev and test
// tooling only; never deployed.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApiKeys } from "./auth.ts";
import { createPool } from "./database.ts";
import { createHandler } from "./handler.ts";

/** A running gateway. */
export interface PostgrestGateway {
  /** The Supabase project URL to hand to `createClient` (it serves `${url}/rest/v1/rpc/*`). */
  url: string;
  port: number;
  /** HTTP requests served so far: database round trips, as a function sees them. */
  requestCount(): number;
  /** Stops accepting requests, lets those under way finish, then closes the database pool. */
  close(): Promise<void>;
}

export interface PostgrestGatewayOptions {
  /** The database whose `public` functions are served; its user must be allowed to SET ROLE. */
  databaseUrl: string;
  /** Runs calls as `service_role`. */
  serviceRoleKey: string;
  /** Runs calls as `anon`. */
  anonKey: string;
  /** Defaults to a free port. */
  port?: number;
  /** Defaults to 127.0.0.1. */
  host?: string;
}

function checkOptions(options: PostgrestGatewayOptions): void {
  for (const name of ["databaseUrl", "serviceRoleKey", "anonKey"] as const) {
    if (!options[name]) throw new TypeError(`startPostgrestGateway: ${name} is required`);
  }
  if (options.serviceRoleKey === options.anonKey) {
    throw new TypeError("startPostgrestGateway: serviceRoleKey and anonKey must differ");
  }
}

/**
 * Serves PostgREST 12's RPC endpoint as Supabase exposes it: the `apikey` and bearer token pick
 * the role (`service_role` or `anon`), each call runs in one transaction as that role, and
 * answers and errors have PostgREST's shapes and statuses. It starts without PostgreSQL being
 * up: calls then answer 503 until it is.
 */
export async function startPostgrestGateway(
  options: PostgrestGatewayOptions,
): Promise<PostgrestGateway> {
  checkOptions(options);
  const pool = createPool(options.databaseUrl);
  const keys: ApiKeys = new Map([
    [options.serviceRoleKey, "service_role"],
    [options.anonKey, "anon"],
  ]);
  const handler = createHandler(pool, keys);
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    void handler(req, res);
  });
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (error: unknown) => {
    await pool.end();
    throw error;
  });
  const { port } = server.address() as AddressInfo;
  // An IPv6 literal needs brackets in a URL.
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    requestCount: () => requests,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await pool.end();
    },
  };
}
