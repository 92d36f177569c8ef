import pg from "pg";
import { GatewayError, databaseUnreachable, isDatabaseError } from "./errors.ts";

// A refused connection fails at once; this bounds the other cases (a hung server, an exhausted
// pool) so that callers get a 503 promptly rather than a hang.
const CONNECT_TIMEOUT_MS = 2_000;

/** A pool that survives PostgreSQL going away and reconnects when it is back. */
export function createPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "postgrest-gateway",
  });
  // Connections die when PostgreSQL stops, idle in the pool or between two statements; unheard,
  // those 'error' events would end the process. The next statement on them reports the failure.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

export interface TransactionOptions {
  readOnly: boolean;
  /** Transaction-local settings (`set_config(name, value, true)`), applied before `run`. */
  settings?: Readonly<Record<string, string>>;
}

async function rollback(client: pg.PoolClient, error: unknown): Promise<void> {
  // Anything but an error reply from PostgreSQL (or our own) means the connection broke.
  if (!isDatabaseError(error) && !(error instanceof GatewayError)) return client.release(true);
  try {
    await client.query("rollback");
    client.release();
  } catch {
    client.release(true);
  }
}

/**
 * Runs `run` in one transaction on a pooled connection: committed when it returns, rolled back
 * when anything throws. PostgreSQL's errors come out as `pg.DatabaseError`, our own as
 * `GatewayError`, and a lost or refused connection as a 503 `GatewayError` (PGRST000).
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  options: TransactionOptions,
  run: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw databaseUnreachable(error);
  }
  try {
    await client.query(options.readOnly ? "begin read only" : "begin");
    const settings = Object.entries(options.settings ?? {});
    if (settings.length > 0) {
      const calls = settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
      await client.query(`select ${calls.join(", ")}`, settings.flat());
    }
    const result = await run(client);
    await client.query("commit");
    client.release();
    return result;
  } catch (error) {
    await rollback(client, error);
    if (isDatabaseError(error) || error instanceof GatewayError) throw error;
    throw databaseUnreachable(error);
  }
}
