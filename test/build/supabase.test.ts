// The Supabase build in Deno: every entry type-checked by `deno check`, and every generated
// function served by `deno run` (Deno.serve) behind the `/<name>` prefix Supabase adds, with
// requests against this run's real PostgreSQL and Redis.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildSupabase } from "../../dev/build/supabase.ts";
import { type ManagedProcess, startProcess } from "../../dev/services/process.ts";
import { waitFor } from "../../dev/services/ports.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { CRON_SECRET, deploymentEnv, stripeDelivery, twilioStatusCallback } from "./deployment.ts";

const DENO = "node_modules/.bin/deno";
const FUNCTIONS_URL = "https://project-ref.supabase.co/functions/v1";
const out = mkdtempSync(`${tmpdir()}/bw-supabase-`);
// Supabase's runtime provides EdgeRuntime.waitUntil: this stand-in, loaded first, logs each call.
const PRELOAD = `${out}/edge-runtime.js`;
const served = new Map<string, { child: ManagedProcess; url: string }>();

/** Sends `path` as Supabase's gateway hands it to function `name`: prefixed with `/<name>`. */
function send(name: string, path: string, init: RequestInit = {}) {
  return fetch(`${served.get(name)!.url}/${name}${path}`, init);
}

/** Serves one generated function with `deno run`, as Supabase's Edge Runtime would. */
async function serve(name: string, env: Record<string, string>) {
  const child = startProcess(
    DENO,
    [
      "run",
      "--no-prompt",
      "--allow-net",
      "--allow-env",
      "--preload",
      PRELOAD,
      `${out}/${name}/index.ts`,
    ],
    {
      // The function's secrets, and what Deno itself needs (PATH, HOME for its cache).
      env: {
        ...env,
        PATH: process.env.PATH ?? "",
        ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
        NO_COLOR: "1",
        DENO_SERVE_ADDRESS: "tcp:127.0.0.1:0",
      },
    },
  );
  const listening = () => /Listening on (http:\/\/\S+?)\/?\s/.exec(child.output())?.[1];
  await waitFor(`deno serving ${name}`, async () => listening() !== undefined);
  served.set(name, { child, url: listening()! });
}

beforeAll(async () => {
  await buildSupabase(FUNCTIONS, out);
  writeFileSync(
    PRELOAD,
    `globalThis.EdgeRuntime = { waitUntil: () => console.log("EdgeRuntime.waitUntil") };\n`,
  );
  for (const fn of FUNCTIONS) {
    await serve(fn.name, deploymentEnv(`${FUNCTIONS_URL}/${fn.name}`));
  }
}, 60_000);

afterAll(async () => {
  for (const { child } of served.values()) await child.stop();
  rmSync(out, { recursive: true, force: true });
});

test("deno check passes on every function's Supabase entry and every generated entry", async () => {
  const entries = FUNCTIONS.flatMap((fn) => [
    `functions/${fn.name}/supabase.ts`,
    `${out}/${fn.name}/index.ts`,
  ]);
  const check = await promisify(execFile)(DENO, ["check", "--no-lock", ...entries], {
    env: { ...process.env, NO_COLOR: "1" },
  }).catch((error: { stdout: string; stderr: string }) => error);
  expect("code" in check ? `${check.stdout}${check.stderr}` : "passed").toBe("passed");
}, 60_000);

describe.each(FUNCTIONS)("$name", (fn) => {
  test("answers its smoke request behind the /<name> prefix", async () => {
    const res = await send(fn.name, fn.smoke.path, { method: fn.smoke.method });
    expect(res.status, await res.text()).toBe(fn.smoke.status);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});

test("health reaches the real database and Redis from Deno", async () => {
  const res = await send("health", "/health");
  const report = await res.json();
  expect(res.status, JSON.stringify(report)).toBe(200);
  expect(report).toMatchObject({
    status: "healthy",
    checks: { database: { healthy: true }, redis: { healthy: true } },
  });
});

test("the cron route pg_cron calls runs for the bearer CRON_SECRET only", async () => {
  expect((await send("health", "/health/cron")).status).toBe(401);
  const res = await send("health", "/health/cron", {
    headers: { authorization: `Bearer ${CRON_SECRET}` },
  });
  expect(res.status, await res.clone().text()).toBe(200);
});

test("a Stripe event is applied once; deferred work goes to EdgeRuntime.waitUntil", async () => {
  const delivery = await stripeDelivery();
  const first = await send("stripe-webhook", "/webhooks/stripe", delivery);
  expect(await first.json()).toEqual({ received: true, duplicate: false });
  expect(served.get("stripe-webhook")!.child.output()).toContain("EdgeRuntime.waitUntil");
  // The claim completes after the response: until then a redelivery is told to retry (409).
  let again: Response;
  await waitFor("the claim to complete", async () => {
    again = await send("stripe-webhook", "/webhooks/stripe", delivery);
    return again.status !== 409;
  });
  expect(await again!.json()).toEqual({ received: true, duplicate: true });
});

test("a Twilio callback verifies against PUBLIC_BASE_URL ending in /functions/v1/<name>", async () => {
  const path = "/webhooks/twilio/status";
  const publicUrl = `${FUNCTIONS_URL}/twilio-webhook${path}`;
  const res = await send("twilio-webhook", path, twilioStatusCallback(publicUrl));
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({ received: true, duplicate: false });
});
