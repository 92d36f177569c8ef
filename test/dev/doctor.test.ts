import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect, test } from "vitest";
import { FUNCTIONS } from "../../functions/registry.ts";

const run = promisify(execFile);

/** `npm run doctor`'s script with exactly `vars` as configuration (nothing else reaches it). */
async function doctor(vars: Record<string, string>) {
  const unset = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => /^(SUPABASE|UPSTASH|STRIPE|TWILIO|CRON|PUBLIC_BASE)/.test(name))
      .map((name) => [name, ""]),
  );
  const { stdout } = await run(process.execPath, ["dev/doctor.ts"], {
    env: { ...process.env, ...unset, ...vars },
  });
  const rows = stdout
    .split("\n")
    .filter((line) => line.startsWith("| "))
    .map((line) =>
      line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
  return { stdout, rows: new Map(rows.map(([name, ...cells]) => [name!, cells])) };
}

test("npm run doctor exits 0 with a table: each function, locally and per deploy target", async () => {
  // execFile rejects on a non-zero exit: getting here means it exited 0.
  const { stdout, rows } = await doctor({
    STRIPE_WEBHOOK_SECRET: "whsec_doctor",
    TWILIO_AUTH_TOKEN: "token",
  });
  expect(rows.get("function")).toEqual(["npm start", "cloudflare", "vercel", "supabase"]);
  for (const fn of FUNCTIONS) expect(rows.has(fn.name), fn.name).toBe(true);
  expect(rows.get("stripe-webhook")).toEqual([
    "ready",
    "lacks SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY",
    "lacks SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY",
    "ready",
  ]);
  expect(rows.get("twilio-webhook")![0]).toBe("lacks PUBLIC_BASE_URL");
  // Health's cron calls its HTTP route with CRON_SECRET on Vercel and Supabase, not on Workers.
  expect(rows.get("health")).toEqual([
    "ready",
    "lacks SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY",
    "lacks SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY, CRON_SECRET",
    "lacks CRON_SECRET",
  ]);
  expect(stdout).toContain("  PUBLIC_BASE_URL: The public origin Twilio calls");
});

test("npm run doctor names a malformed variable as invalid", async () => {
  const { rows } = await doctor({
    SUPABASE_URL: "https://project.supabase.co",
    SUPABASE_SERVICE_ROLE_KEY: "key",
    STRIPE_WEBHOOK_SECRET: "whsec_doctor",
    STRIPE_MODE: "production",
  });
  expect(rows.get("stripe-webhook")).toEqual(Array(4).fill("invalid STRIPE_MODE"));
  expect(rows.get("ai-proxy")).toEqual(Array(4).fill("ready"));
});
