// The Vercel build (Build Output API v3) loaded in Vercel's Edge Runtime (`edge-runtime`), with
// requests routed by its own config.json, against this run's real PostgreSQL and Redis.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { buildVercel } from "../../dev/build/vercel.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { CRON_SECRET, deploymentEnv, stripeDelivery, twilioStatusCallback } from "./deployment.ts";
import {
  type EdgeRuntimeServer,
  readEdgeConfig,
  routeOf,
  serveEdgeFunction,
} from "./edge-runtime.ts";

const PUBLIC_BASE_URL = "https://breakwater.vercel.app";
const out = mkdtempSync(`${tmpdir()}/bw-vercel-`);
const servers = new Map<string, EdgeRuntimeServer>();
let config: {
  version: number;
  routes: { src: string; dest: string }[];
  crons: { path: string; schedule: string }[];
};

/** Sends `path` where Vercel would: to the function config.json routes it to. */
function send(path: string, init: RequestInit = {}) {
  const server = servers.get(routeOf(config.routes, path));
  if (!server) throw new Error(`config.json routes ${path} to no built function`);
  return fetch(new URL(path, server.url), init);
}

beforeAll(async () => {
  await buildVercel(FUNCTIONS, out);
  config = JSON.parse(readFileSync(`${out}/config.json`, "utf8"));
  const env = deploymentEnv(PUBLIC_BASE_URL);
  for (const fn of FUNCTIONS) {
    servers.set(fn.name, await serveEdgeFunction(`${out}/functions/${fn.name}.func`, env));
  }
}, 60_000);

afterAll(async () => {
  for (const server of servers.values()) await server.close();
  rmSync(out, { recursive: true, force: true });
});

test("the output is Build Output v3: one Edge Function per function, routes, the health cron", () => {
  expect(config.version).toBe(3);
  for (const fn of FUNCTIONS) {
    const vc = readEdgeConfig(`${out}/functions/${fn.name}.func`);
    expect(vc.runtime).toBe("edge");
    expect(vc.envVarsInUse).toEqual([...fn.required, ...fn.optional]);
    for (const path of fn.paths) expect(routeOf(config.routes, path)).toBe(fn.name);
  }
  expect(config.crons).toEqual(
    FUNCTIONS.flatMap((fn) =>
      fn.cron ? [{ path: fn.cron.path, schedule: fn.cron.schedule }] : [],
    ),
  );
});

describe.each(FUNCTIONS)("$name", (fn) => {
  test("answers its smoke request through config.json's routes, with a request id", async () => {
    const res = await send(fn.smoke.path, { method: fn.smoke.method });
    expect(res.status, await res.text()).toBe(fn.smoke.status);
    expect(res.headers.get("x-request-id")).toBeTruthy();
  });
});

test("health reaches the real database and Redis from the Edge Runtime", async () => {
  const res = await send("/health");
  const report = await res.json();
  expect(res.status, JSON.stringify(report)).toBe(200);
  expect(report).toMatchObject({
    status: "healthy",
    checks: { database: { healthy: true }, redis: { healthy: true } },
  });
});

test("the cron route runs for Vercel Cron's bearer CRON_SECRET, and for no one else", async () => {
  expect((await send("/health/cron")).status).toBe(401);
  const res = await send("/health/cron", { headers: { authorization: `Bearer ${CRON_SECRET}` } });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toMatchObject({ status: "healthy" });
});

test("a Stripe event is applied once; deferred work reaches the request context's waitUntil", async () => {
  const delivery = await stripeDelivery();
  const first = await send("/webhooks/stripe", delivery);
  expect(await first.json()).toEqual({ received: true, duplicate: false });
  // The claim is completed after the response, through event.waitUntil: the Edge Runtime
  // holds that work, and hands back what it settled to.
  const settled = (await servers.get("stripe-webhook")!.waitUntil()).flat();
  expect(settled.length).toBeGreaterThan(0);
  const again = await send("/webhooks/stripe", delivery);
  expect(await again.json()).toEqual({ received: true, duplicate: true });
});

test("a Twilio status callback signed over PUBLIC_BASE_URL is accepted", async () => {
  const path = "/webhooks/twilio/status";
  const res = await send(path, twilioStatusCallback(`${PUBLIC_BASE_URL}${path}`));
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({ received: true, duplicate: false });
});
