// Where a path's CPU goes: the CPU time each process spends per request under load, from Linux's
// /proc, which the bench's Debian targets all have.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

/** Role (workerd, Redis, …) → the pids that play it now. */
export type Roles = Record<string, number[]>;

const MS_PER_TICK = 1000 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));

interface Proc {
  pid: number;
  ppid: number;
  /** The command line, arguments separated by spaces. */
  command: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined; // the process has exited meanwhile
  }
}

/** Fields of /proc/<pid>/stat after the parenthesised command name (which may hold spaces). */
function statFields(pid: number): string[] | undefined {
  const stat = read(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Every process now. */
export function processes(): Proc[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => {
      const pid = Number(name);
      const fields = statFields(pid);
      const command = read(`/proc/${pid}/cmdline`);
      return fields && command !== undefined
        ? [{ pid, ppid: Number(fields[1]), command: command.replaceAll("\0", " ") }]
        : [];
    });
}

/** User + system CPU time `pid` has used so far, ms; 0 once it has exited. */
function cpuMs(pid: number): number {
  const fields = statFields(pid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK : 0;
}

/**
 * CPU ms per request of each role over `run`, which resolves to how many requests it made.
 * Roles are looked up again at the end, so a process started meanwhile (a new Postgres backend)
 * counts whole.
 */
export async function cpuPerRequest(
  roles: () => Roles,
  run: () => Promise<number>,
): Promise<Record<string, number>> {
  const before = new Map(
    Object.values(roles())
      .flat()
      .map((pid) => [pid, cpuMs(pid)]),
  );
  const requests = await run();
  return Object.fromEntries(
    Object.entries(roles()).map(([role, pids]) => [
      role,
      pids.reduce((sum, pid) => sum + cpuMs(pid) - (before.get(pid) ?? 0), 0) / requests,
    ]),
  );
}
