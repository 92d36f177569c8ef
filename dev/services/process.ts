import { type ChildProcess, type SpawnOptions, execFileSync, spawn } from "node:child_process";

/** A service running as our child process. `stop()` waits until it has exited. */
export interface ManagedProcess {
  child: ChildProcess;
  /** Last lines the process wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

const running = new Map<ChildProcess, NodeJS.Signals>();

// If we exit without stopping a service (an uncaught error, a library's own SIGINT handler
// calling process.exit), still signal it, so no orphaned server keeps its port and data locked.
process.on("exit", () => {
  for (const [child, signal] of running) child.kill(signal);
});

/** Spawns a service; `stopSignal` is the one that shuts it down cleanly. */
export function startProcess(
  command: string,
  args: string[],
  options: SpawnOptions & { stopSignal?: NodeJS.Signals } = {},
): ManagedProcess {
  const { stopSignal = "SIGTERM", ...spawnOptions } = options;
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...spawnOptions });
  running.set(child, stopSignal);
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      resolve();
    }),
  );
  return {
    child,
    output: () => tail,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill(stopSignal);
      await exited;
    },
  };
}

/** uid/gid to run PostgreSQL under: it refuses to run as root. */
export function unprivilegedUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}
