// `npm run keys` as a user runs it: against a Supabase project (this run's PostgREST gateway),
// and against the local database `npm start` uses, stopped and then running.
import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { afterAll, expect, inject, test } from "vitest";
import { attachPostgres } from "../../dev/local/shared-postgres.ts";

const run = promisify(execFile);

async function keys(args: string[], env: Record<string, string>) {
  try {
    const { stdout } = await run(process.execPath, ["dev/keys.ts", ...args], {
      env: { ...process.env, SUPABASE_URL: "", SUPABASE_SERVICE_ROLE_KEY: "", ...env },
    });
    return { code: 0, out: stdout };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

const supabase = () => ({
  SUPABASE_URL: inject("supabase").url,
  SUPABASE_SERVICE_ROLE_KEY: inject("supabase").serviceRoleKey,
});

test("create, list and revoke against a Supabase project", async () => {
  const name = `cli-${crypto.randomUUID()}`;
  const created = await keys(
    [
      "create",
      "--name",
      name,
      "--rpm",
      "10",
      "--budget-usd",
      "2.5",
      "--budget-period",
      "month",
      "--models",
      "a,b",
    ],
    supabase(),
  );
  expect(created.code).toBe(0);
  const key = /\n {2}(bw-[\w-]{43})\n/.exec(created.out)?.[1];
  const id = /Created key ([0-9a-f-]{36})/.exec(created.out)?.[1];
  expect(key && id).toBeTruthy();

  const listed = await keys(["list"], supabase());
  const line = listed.out.split("\n").find((l) => l.includes(name))!;
  expect(line).toContain(`${id}  ${key!.slice(0, 11)}…`);
  expect(line).toContain("[active]  10 rpm, $0.0000 of $2.5 this month, models a,b");
  expect(listed.out).not.toContain(key);

  expect((await keys(["revoke", id!], supabase())).code).toBe(0);
  expect((await keys(["list"], supabase())).out.split("\n").find((l) => l.includes(name))).toMatch(
    /\[revoked /,
  );
}, 30_000);

test.each([
  [["create", "--rpm", "5"], "--name"],
  [["create", "--name", "x", "--tpm", "many"], "--tpm"],
  [["create", "--name", "x", "--budget-usd", "3"], "--budget-period"],
  [["create", "--name", "x", "--expires", "yesterday"], "--expires"],
])("%j is refused naming %s", async (args, flag) => {
  const result = await keys(args, supabase());
  expect(result.code).toBe(1);
  expect(result.out).toMatch(new RegExp(`^${flag}: `, "m"));
});

test("an unknown command prints the usage", async () => {
  const result = await keys(["rotate"], supabase());
  expect(result.code).toBe(2);
  expect(result.out).toContain("npm run keys -- create --name NAME");
});

const dataDir = mkdtempSync(`${tmpdir()}/breakwater-keys-`);
chmodSync(dataDir, 0o755);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test("by default the keys live in npm start's local database, whether it is running or not", async () => {
  const local = { BREAKWATER_DATA_DIR: dataDir };
  const created = await keys(["create", "--name", "local-one"], local);
  expect(created.out).toContain(`in the local database in ${dataDir}/postgres`);

  // As a running `npm start` holds it: the CLI attaches, and leaves it running.
  const postgres = await attachPostgres(`${dataDir}/postgres`);
  try {
    const listed = await keys(["list"], local);
    expect(listed.out).toContain("(npm start's, running)");
    expect(listed.out).toMatch(/local-one {2}\[active\]/);
  } finally {
    postgres.release();
  }
}, 90_000);
