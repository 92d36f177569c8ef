import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import Stripe from "stripe";
import { afterAll, expect, inject, test } from "vitest";
import { freePort } from "../../dev/services/ports.ts";
import { post } from "../e2e/webhook-stack.ts";
import { startUpstream } from "../e2e/upstream.ts";

const dataDir = mkdtempSync(`${tmpdir()}/breakwater-start-`);
chmodSync(dataDir, 0o755);
const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const child of children) await stop(child);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Every configuration variable a developer's shell might hold, unset: each test sets its own. */
const UNSET = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => /^(SUPABASE|UPSTASH|STRIPE|TWILIO|OPENAI|AI_|PROXY|PUBLIC_BASE)/.test(name))
    .map((name) => [name, ""]),
);

interface Started {
  child: ChildProcess;
  url: string;
  ms: number;
  output: () => string;
  health: any;
}

/** Runs `npm start`'s script on a free port until /health answers; returns the time that took. */
async function startAndProbe(vars: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, ["dev/start.ts"], {
    env: { ...process.env, ...UNSET, PORT: String(port), BREAKWATER_DATA_DIR: dataDir, ...vars },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  while (Date.now() - started < 60_000) {
    if (child.exitCode !== null) throw new Error(`npm start exited:\n${output}`);
    const res = await fetch(`${url}/health`).catch(() => undefined);
    if (res) {
      const health = await res.json();
      return { child, url, ms: Date.now() - started, output: () => output, health };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop(child);
  throw new Error(`npm start did not answer within 60 s:\n${output}`);
}

async function stop(child: ChildProcess) {
  children.delete(child);
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGINT");
  await exited;
}

test("npm start answers on its port within 60 s, cold and warm, on embedded defaults", async () => {
  const cold = await startAndProbe();
  expect(cold.health).toMatchObject({
    status: "healthy",
    state: "memory (Upstash not configured)",
    checks: { database: { healthy: true }, redis: { healthy: true } },
  });
  expect(cold.output()).toContain(`listening on ${cold.url}`);
  expect(cold.output()).toContain("default database: local PostgreSQL");
  expect(cold.output()).toContain("applied 20261121000000_schema.sql, 20261121000100_health.sql");
  expect(cold.output()).toContain(`Try: curl -s ${cold.url}/health`);
  await stop(cold.child);

  // The second start reuses the database: nothing to initialise, no migration to apply.
  const warm = await startAndProbe();
  expect(warm.health.status).toBe("healthy");
  expect(warm.output()).not.toContain("applied");
  await stop(warm.child);
  console.log(`npm start, time to first response: cold ${cold.ms} ms, warm ${warm.ms} ms`);
}, 150_000);

test("npm start names, per function, what it lacks and what that is for, before it listens", async () => {
  const started = await startAndProbe({ TWILIO_AUTH_TOKEN: "token-only" });
  const output = started.output();
  expect(output).toMatch(/\n {2}health {10}ready\n/);
  expect(output).toContain(
    "stripe-webhook  not ready: lacks STRIPE_WEBHOOK_SECRET (The Stripe endpoint's signing secret (whsec_…).)",
  );
  expect(output).toContain("twilio-webhook  not ready: lacks PUBLIC_BASE_URL (The public origin");
  expect(output).not.toMatch(/lacks [^\n]*TWILIO_AUTH_TOKEN/);
  expect(output.indexOf("not ready")).toBeLessThan(output.indexOf("Try: curl"));
  await stop(started.child);
}, 90_000);

test("two npm start side by side share one PostgreSQL and, with Upstash, one breaker; stopping either leaves the other working", async () => {
  const upstash = inject("upstash");
  const upstream = await startUpstream();
  upstream.fail(true);
  const secret = "whsec_start_c2VjcmV0LWZvci10ZXN0cw";
  const vars = {
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    STATE_KEY_PREFIX: `start-${crypto.randomUUID()}:`,
    // Only the secret for Stripe: no STRIPE_MODE.
    STRIPE_WEBHOOK_SECRET: secret,
    OPENAI_API_KEY: "sk-start-test",
    OPENAI_BASE_URL: upstream.url,
    PROXY_API_KEYS: "bw-start-key",
    AI_ROUTES: JSON.stringify({ "chat-default": ["openai:gpt-4o-mini"] }),
    LOG_LEVEL: "error",
  };
  try {
    const first = await startAndProbe(vars);
    const second = await startAndProbe(vars);
    expect(first.output()).not.toContain("shared with another npm start");
    expect(second.output()).toContain("shared with another npm start");
    // Degraded, not unhealthy: health probes the failing OpenAI upstream too.
    expect(second.health).toMatchObject({
      status: "degraded",
      checks: { database: { healthy: true }, redis: { healthy: true } },
    });

    // Stripe with only its secret set: a signed event is applied once, wherever it arrives.
    const payload = JSON.stringify({
      id: `evt_start_${crypto.randomUUID().slice(0, 8)}`,
      object: "event",
      type: "customer.created",
      created: Math.floor(Date.now() / 1000),
      livemode: true,
      data: { object: { id: "cus_start", object: "customer" } },
    });
    const signature = await new Stripe("sk_test_start").webhooks.generateTestHeaderStringAsync({
      payload,
      secret,
    });
    const deliver = (url: string) =>
      post(`${url}/webhooks/stripe`, payload, {
        "content-type": "application/json",
        "stripe-signature": signature,
      });
    const delivered = await deliver(first.url);
    expect(delivered.status).toBe(200);
    expect(await delivered.json()).toEqual({ received: true, duplicate: false });
    const again = await deliver(second.url);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ received: true, duplicate: true });

    // The upstream fails: calls through the first open the breaker the second sees open.
    const chat = () =>
      fetch(`${first.url}/v1/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer bw-start-key", "content-type": "application/json" },
        body: JSON.stringify({
          model: "chat-default",
          messages: [{ role: "user", content: "hi" }],
        }),
      });
    const openai = async (url: string) => {
      const { breakers } = (await (await fetch(`${url}/health/breakers`)).json()) as {
        breakers: { name: string; state: string }[];
      };
      return breakers.find((b) => b.name === "openai")?.state;
    };
    for (let i = 0; i < 10 && (await openai(second.url)) !== "open"; i++) {
      expect((await chat()).status).toBeGreaterThanOrEqual(500);
      await new Promise((r) => setTimeout(r, 300)); // outcomes are reported after the response
    }
    expect(upstream.hits()).toBeGreaterThan(0);
    expect(await openai(second.url)).toBe("open");

    // The first started PostgreSQL; the second keeps it when the first stops, and the reverse.
    await stop(first.child);
    const afterFirst: any = await (await fetch(`${second.url}/health`)).json();
    expect(afterFirst.checks.database.healthy).toBe(true);
    const third = await startAndProbe(vars);
    await stop(second.child);
    expect(third.health.checks.database.healthy).toBe(true);
    const afterSecond: any = await (await fetch(`${third.url}/health`)).json();
    expect(afterSecond.checks.database.healthy).toBe(true);
    await stop(third.child);
  } finally {
    await upstream.close();
  }
}, 240_000);
