// The gateway controls that must hold across the fleet, proved with two workerd processes of the
// all-in-one worker sharing one Redis prefix and one PostgreSQL, every provider a local mock.
import { afterAll, beforeAll, expect, test } from "vitest";
import { ROUTES, startAiStack } from "./ai-stack.ts";

const FAILURES_PER_MINUTE = 20;
const ADMIN_API_KEY = `admin-${crypto.randomUUID()}`;

let ai: Awaited<ReturnType<typeof startAiStack>>;
beforeAll(async () => {
  ai = await startAiStack(
    {
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
afterAll(() => ai.close());

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
