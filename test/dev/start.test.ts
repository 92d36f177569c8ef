import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, expect, test } from "vitest";
import { freePort } from "../../dev/services/ports.ts";

const dataDir = mkdtempSync(`${tmpdir()}/breakwater-start-`);
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Runs `npm start`'s script on a free port until /health answers; returns the time that took. */
async function startAndProbe(
  port: number,
): Promise<{ child: ChildProcess; ms: number; output: () => string; health: any }> {
  const started = Date.now();
  const child = spawn(process.execPath, ["dev/start.ts"], {
    env: {
      ...process.env,
      PORT: String(port),
      BREAKWATER_DATA_DIR: dataDir,
      SUPABASE_URL: "",
      UPSTASH_REDIS_REST_URL: "",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  while (Date.now() - started < 60_000) {
    if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    if (res)
      return { child, ms: Date.now() - started, output: () => output, health: await res.json() };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGINT");
  throw new Error(`npm start did not answer within 60 s:\n${output}`);
}

async function stop(child: ChildProcess) {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
}

test("npm start answers on its port within 60 s, cold and warm, on embedded defaults", async () => {
  const port = await freePort();
  const cold = await startAndProbe(port);
  expect(cold.health).toMatchObject({
    status: "healthy",
    state: "memory (Upstash not configured)",
    checks: { database: { healthy: true }, redis: { healthy: true } },
  });
  expect(cold.output()).toContain(`listening on http://127.0.0.1:${port}`);
  expect(cold.output()).toContain("default database: local PostgreSQL");
  expect(cold.output()).toContain("applied 20261121000000_schema.sql, 20261121000100_health.sql");
  expect(cold.output()).toContain(`Try: curl -s http://127.0.0.1:${port}/health`);
  await stop(cold.child);

  // The second start reuses the database: nothing to initialise, no migration to apply.
  const warm = await startAndProbe(port);
  expect(warm.health.status).toBe("healthy");
  expect(warm.output()).not.toContain("applied");
  await stop(warm.child);
  console.log(`npm start, time to first response: cold ${cold.ms} ms, warm ${warm.ms} ms`);
}, 150_000);
