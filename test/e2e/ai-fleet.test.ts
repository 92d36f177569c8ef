// The gateway controls that must hold across the fleet, proved with two workerd processes of the
// all-in-one worker sharing one Redis prefix and one PostgreSQL, every provider a local mock.
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";
import { ROUTES, startAiStack } from "./ai-stack.ts";

const FAILURES_PER_MINUTE = 20;
const ADMIN_API_KEY = `admin-${crypto.randomUUID()}`;

let ai: Awaited<ReturnType<typeof startAiStack>>;
let upstash: UpstashGateway;
beforeAll(async () => {
  // A gateway of its own in front of the run's Redis: the fleet's Redis calls wait on no other
  // test file's traffic (their 150 ms deadline is part of what is tested).
  upstash = await startUpstashGateway({ redisUrl: inject("redisUrl"), token: "fleet" });
  ai = await startAiStack(
    {
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: "fleet",
      ADMIN_API_KEY,
      AI_AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE),
      AI_ROUTES: JSON.stringify({
        ...ROUTES,
        weighted: {
          targets: [
            { model: "openai:gpt-4o-mini", weight: 3 },
            { model: "gemini:gemini-2.5-flash", weight: 1 },
          ],
          fallback: ["anthropic:claude-3-5-haiku-latest"],
        },
      }),
    },
    { instances: 2 },
  );
}, 60_000);
afterAll(async () => {
  await ai.close();
  await upstash.close();
});

/** Runs `count` calls of `send`, `concurrency` at a time, each told its index. */
async function flood<T>(count: number, concurrency: number, send: (i: number) => Promise<T>) {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await send(i);
      }
    }),
  );
  return results;
}

async function newKey(fields: Record<string, unknown>) {
  const res = await fetch(`${ai.worker.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "fleet", requests_per_minute: 10_000, ...fields }),
  });
  return (await res.json()) as { id: string; key: string };
}

/** One chat completion through instance `i % 2`: its status, cache header and usage. */
async function chat(key: string, i: number, model = "chat-default", content = "hello") {
  const res = await fetch(`${ai.workers[i % 2]!.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content }] }),
  });
  const body = (await res.json()) as { usage?: { total_tokens: number }; error?: { code: string } };
  return {
    status: res.status,
    code: body.error?.code,
    cache: res.headers.get("x-breakwater-cache"),
    tokens: body.usage?.total_tokens ?? 0,
  };
}

const settle = () => new Promise((r) => setTimeout(r, 300));

/**
 * Waits until both instances use Redis again. On this shared machine a burst can make Redis
 * calls miss their 150 ms deadline; three misses send an isolate to memory for 5 s or more
 * (Redis's own breaker), and a fleet-wide claim is only tested while the fleet shares Redis.
 */
async function redisInUse() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const states = await Promise.all(
      ai.workers.map(
        async (w) => ((await (await fetch(`${w.url}/health`)).json()) as { state: string }).state,
      ),
    );
    if (states.every((state) => state === "redis")) return;
    if (Date.now() > deadline) throw new Error(`Redis not in use: ${states.join(", ")}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

test("two instances never let a key spend more than its budget plus the requests in flight", async () => {
  // Price one answer first (the mock's answers to the same question are alike).
  const probe = await newKey({});
  await chat(probe.key, 0);
  await settle();
  const {
    rows: [priced],
  } = await ai.db.query(
    "select max(cost_usd)::float as cost from public.ai_usage where key_id = $1",
    [`key_${probe.id}`],
  );
  const cost = priced.cost as number;
  const budget = 20 * cost;
  const { key, id } = await newKey({ budget_usd: budget, budget_period: "day" });
  const concurrency = 4;
  await redisInUse();
  const results = await flood(120, concurrency, (i) => chat(key, i));
  await settle();
  const {
    rows: [spent],
  } = await ai.db.query(
    "select coalesce(sum(cost_usd), 0)::float as usd, count(*)::int as answers from public.ai_usage where key_id = $1",
    [`key_${id}`],
  );
  const refused = results.filter((r) => r.code === "budget_exceeded").length;
  // A read of the counter that timed out refuses the request (never an overspend): fail closed.
  const unchecked = results.filter((r) => r.code === "budget_unavailable").length;
  console.log(
    `budget over 2 instances, ${concurrency} requests in flight: budget $${budget.toFixed(8)} (20 answers), ` +
      `spent $${spent.usd.toFixed(8)} in ${spent.answers} answers, ${refused} refused budget_exceeded` +
      (unchecked ? `, ${unchecked} budget_unavailable (Redis too slow)` : ""),
  );
  expect(spent.usd).toBeGreaterThanOrEqual(budget);
  // In flight when the count reached the budget: at most one request per concurrent caller, and
  // one more each whose charge had not yet landed when its caller's next request was read.
  expect(spent.usd).toBeLessThanOrEqual(budget + 2 * concurrency * cost * 1.001);
  expect(refused + unchecked + spent.answers).toBe(120);
}, 120_000);

test("tokens per minute hold across two instances: the second instance sees the first's tokens", async () => {
  const probe = await chat((await newKey({})).key, 0);
  const tokensPerMinute = 10 * probe.tokens;
  const { key } = await newKey({ tokens_per_minute: tokensPerMinute });
  await redisInUse();
  const served: number[] = [];
  for (let i = 0; i < 40; i++) {
    const result = await chat(key, i);
    if (result.status === 200) served.push(result.tokens);
    else expect(result.code).toBe("rate_limited");
    await new Promise((r) => setTimeout(r, 20)); // lets the charge of the last answer land
  }
  const total = served.reduce((a, b) => a + b, 0);
  console.log(
    `tokens per minute ${tokensPerMinute} over 2 instances: ${served.length} answers, ${total} tokens admitted`,
  );
  expect(total).toBeGreaterThanOrEqual(tokensPerMinute);
  expect(total).toBeLessThanOrEqual(tokensPerMinute + probe.tokens); // per isolate it would be 2×
}, 120_000);

test("an answer kept by one instance is a hit on the other, with no upstream call", async () => {
  const { key } = await newKey({ cache_max_age: 60 });
  const question = `fleet cache ${crypto.randomUUID()}`;
  await redisInUse();
  expect((await chat(key, 0, "chat-default", question)).cache).toBe("miss");
  await settle();
  const before = ai.mocks.openai.calls().length;
  expect((await chat(key, 1, "chat-default", question)).cache).toBe("hit");
  expect(ai.mocks.openai.calls().length).toBe(before);
});

test("weights of 3:1 split 400 requests 3:1 (±10 %) across the fleet", async () => {
  const admin = await fetch(`${ai.worker.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "weights", requests_per_minute: 10_000 }),
  });
  const { key } = (await admin.json()) as { key: string };
  const providers = await flood(400, 8, async (i) => {
    const res = await fetch(`${ai.workers[i % 2]!.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "weighted", messages: [{ role: "user", content: "hi" }] }),
    });
    await res.arrayBuffer();
    expect(res.status).toBe(200);
    return res.headers.get("x-breakwater-provider");
  });
  const openai = providers.filter((p) => p === "openai:gpt-4o-mini").length;
  const gemini = providers.filter((p) => p === "gemini:gemini-2.5-flash").length;
  console.log(`weighted route 3:1 over 400 requests: openai ${openai}, gemini ${gemini}`);
  expect(openai + gemini).toBe(400);
  expect(openai).toBeGreaterThanOrEqual(270);
  expect(openai).toBeLessThanOrEqual(330);
}, 120_000);

// Last: the flood comes from the address every test here uses, which it gets refused for a while.
test("10,000 requests with random keys cost Postgres at most AI_AUTH_FAILURES_PER_MINUTE lookups a minute, per isolate while Redis is out of reach", async () => {
  const before = ai.postgrest.requestCount();
  const started = Date.now();
  const statuses = await flood(10_000, 32, async (i) => {
    const res = await fetch(`${ai.workers[i % 2]!.url}/v1/models`, {
      headers: { authorization: `Bearer bw-${crypto.randomUUID()}` },
    });
    await res.arrayBuffer();
    return res.status;
  });
  const ended = Date.now();
  const rpcs = ai.postgrest.requestCount() - before;
  const windows = Math.floor(ended / 60_000) - Math.floor(started / 60_000) + 1;
  const counts = Object.fromEntries(
    [...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length]),
  );
  console.log(
    `random-key flood: 10000 requests over 2 instances in ${ended - started} ms → ${JSON.stringify(counts)}; ` +
      `${rpcs} Postgres RPCs (bound: ${FAILURES_PER_MINUTE} × (1 + 2 instances) per minute window × ${windows} window(s))`,
  );
  expect(counts[401]).toBeGreaterThan(0);
  expect(counts[401]! + counts[429]!).toBe(10_000);
  // The fleet-wide count, plus each isolate's own count for lookups whose Redis call failed
  // (the reservation falls back to the isolate rather than fail every new key when Redis is out).
  expect(rpcs).toBeLessThanOrEqual(FAILURES_PER_MINUTE * 3 * windows);
}, 300_000);
