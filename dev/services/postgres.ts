import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync } from "node:fs";
import pg from "pg";
import { postgresBinDir } from "./binaries.ts";
import { freePort, waitFor } from "./ports.ts";
import { type ManagedProcess, startProcess, unprivilegedUser } from "./process.ts";

/** A private PostgreSQL cluster in `dataDir`, listening on a loopback port. */
export interface PostgresServer {
  port: number;
  /** Connection URL for database `postgres` as superuser `postgres`. */
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port and data (after `stop`). */
  start(): Promise<void>;
}

export interface PostgresOptions {
  dataDir: string;
  port?: number;
  /** Tests trade durability for speed; `npm start` keeps fsync on. */
  durable?: boolean;
}

/** Whether a PostgreSQL server answers a query at `url`. */
export async function accepts(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query("select 1");
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates a cluster in `dataDir` unless one is there, owned by the user PostgreSQL runs as. */
export function initCluster(dataDir: string): void {
  const user = unprivilegedUser();
  mkdirSync(dataDir, { recursive: true });
  if (user) chownSync(dataDir, user.uid, user.gid);
  if (existsSync(`${dataDir}/PG_VERSION`)) return;
  try {
    execFileSync(
      `${postgresBinDir()}/initdb`,
      ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
      { stdio: "pipe", ...user },
    );
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`initdb failed for ${dataDir}: ${stderr || (error as Error).message}`);
  }
}

export async function startPostgres(options: PostgresOptions): Promise<PostgresServer> {
  const postgresBin = postgresBinDir();
  const user = unprivilegedUser();
  const { dataDir } = options;
  initCluster(dataDir);
  const port = options.port ?? (await freePort());
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const settings = options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off"];
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = startProcess(
      `${postgresBin}/postgres`,
      [
        "-D",
        dataDir,
        "-p",
        String(port),
        "-k",
        dataDir,
        "-c",
        "listen_addresses=127.0.0.1",
        ...settings,
      ],
      // SIGINT is PostgreSQL's "fast" shutdown: it rolls back open transactions and exits.
      { ...user, stopSignal: "SIGINT" },
    );
    await waitFor(`PostgreSQL on port ${port}`, () => accepts(url)).catch((error: Error) => {
      throw new Error(`${error.message}\n${proc?.output()}`);
    });
  };
  await start();
  return { port, url, start, stop: async () => proc?.stop() };
}
