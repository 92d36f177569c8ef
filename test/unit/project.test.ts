import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const run = promisify(execFile);

async function outputOf(
  command: string,
  args: string[],
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { maxBuffer: 10_000_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

test("every file is formatted with prettier", async () => {
  const { code, output } = await outputOf("node_modules/.bin/prettier", ["--check", "."]);
  expect(code, output).toBe(0);
}, 60_000);

test("edge code type-checks strictly against the Workers runtime types", async () => {
  const { code, output } = await outputOf("node_modules/.bin/tsc", ["-p", "tsconfig.edge.json"]);
  expect(code, output).toBe(0);
}, 120_000);

test("Node tooling and tests type-check strictly", async () => {
  const { code, output } = await outputOf("node_modules/.bin/tsc", ["-p", "tsconfig.json"]);
  expect(code, output).toBe(0);
}, 120_000);
