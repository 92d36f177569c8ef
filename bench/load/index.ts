import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { Job, JobResult } from "./jobs.ts";

/** The load generator's process, seen from the bench. */
export interface LoadProcess {
  run<J extends Job>(job: J): Promise<JobResult<J>>;
  close(): Promise<void>;
}

type Reply = { id: number; result?: unknown; error?: string };

/** Forks the load process (./process.ts): the bench's servers keep this event loop to themselves. */
export function startLoadProcess(): LoadProcess {
  const child: ChildProcess = fork(fileURLToPath(new URL("./process.ts", import.meta.url)), [], {
    stdio: "inherit",
  });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let next = 0;
  child.on("message", (reply: Reply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) waiting?.reject(new Error(`load process: ${reply.error}`));
    else waiting?.resolve(reply.result);
  });
  const exited = once(child, "exit").then(([code, signal]) => {
    for (const waiting of pending.values()) {
      waiting.reject(new Error(`the load process exited (${signal ?? code}) mid-job`));
    }
    pending.clear();
  });
  return {
    run<J extends Job>(job: J) {
      const id = next++;
      return new Promise<JobResult<J>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, job });
      });
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}
