import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { postgresBinDir } from "../services/binaries.ts";
import { freePort, waitFor } from "../services/ports.ts";
import { accepts, initCluster } from "../services/postgres.ts";
import { unprivilegedUser } from "../services/process.ts";

/** The local PostgreSQL of a data directory, shared by every `npm start` that uses it. */
export interface SharedPostgres {
  /** Superuser URL (database `postgres`). */
  url: string;
  /** Whether this process started it (false: another `npm start` had). */
  started: boolean;
  /** Leaves it to the others; the last one out stops it. Also runs when the process exits. */
  release(): void;
}

/** The server running on `dataDir`, if one answers: its port is line 4 of postmaster.pid. */
async function runningOn(dataDir: string): Promise<string | undefined> {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return undefined;
  const port = readFileSync(pidFile, "utf8").split("\n")[3]?.trim();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return port && (await accepts(url).catch(() => false)) ? url : undefined;
}

function pgCtl(dataDir: string, args: string[]): void {
  execFileSync(`${postgresBinDir()}/pg_ctl`, ["-D", dataDir, ...args], {
    stdio: "pipe",
    ...unprivilegedUser(),
  });
}

/** The pids of the `npm start` processes still using it (a crashed one's lease is ignored). */
function liveUsers(leases: string): number[] {
  return readdirSync(leases)
    .map(Number)
    .filter((pid) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
    });
}

/**
 * Uses the PostgreSQL another `npm start` runs on `dataDir`, or starts it, as a daemon of its
 * own (pg_ctl), so that it outlives whichever process started it. Each user holds a lease file
 * named by its pid; the last to release stops the server.
 */
export async function attachPostgres(dataDir: string): Promise<SharedPostgres> {
  const leases = `${dataDir}.users`;
  mkdirSync(leases, { recursive: true });
  const lease = `${leases}/${process.pid}`;
  writeFileSync(lease, "");
  // Synchronous, so it also runs on exit (a library's SIGINT handler may exit before our stop()).
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    rmSync(lease, { force: true });
    if (liveUsers(leases).length > 0) return;
    try {
      pgCtl(dataDir, ["stop", "-m", "fast", "-w"]);
    } catch {
      // Already stopped (by another last user leaving at the same moment): nothing to do.
    }
  };
  process.once("exit", release);
  try {
    const running = await runningOn(dataDir);
    if (running) return { url: running, started: false, release };
    initCluster(dataDir);
    const port = await freePort();
    const options = `-p ${port} -k '${dataDir}' -c listen_addresses=127.0.0.1`;
    try {
      pgCtl(dataDir, ["start", "-w", "-l", `${dataDir}/server.log`, "-o", options]);
    } catch (error) {
      // Another `npm start` may have started it a moment before us: then use theirs.
      await waitFor(`PostgreSQL in ${dataDir}`, async () => !!(await runningOn(dataDir))).catch(
        () => {
          throw new Error(`PostgreSQL did not start in ${dataDir}: ${(error as Error).message}`);
        },
      );
      return { url: (await runningOn(dataDir))!, started: false, release };
    }
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, started: true, release };
  } catch (error) {
    release();
    throw error;
  }
}
