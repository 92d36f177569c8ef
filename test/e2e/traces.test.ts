import { afterAll, beforeAll, expect, test } from "vitest";
import { PROXY_KEY, startAiStack } from "./ai-stack.ts";
import { startOtlpReceiver } from "./otlp-receiver.ts";
import { STRIPE_SECRET, sendStripe, signStripe, post, stripeEvent } from "./webhook-stack.ts";

// Traces from the all-in-one worker in workerd to a local OTLP/HTTP JSON receiver, which decodes
// every export as a collector would.
let ai: Awaited<ReturnType<typeof startAiStack>>;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  ai = await startAiStack({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=collector%20secret,x-tenant=e2e",
    OTEL_SERVICE_NAME: "breakwater-e2e",
  });
}, 60_000);
afterAll(async () => {
  await ai?.close();
  await receiver?.close();
});

async function until(condition: () => boolean, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

const hex = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");

async function signedStripe(traceparent: string) {
  const event = stripeEvent("payment_intent.succeeded", {
    id: `pi_trace_${hex(4)}`,
    object: "payment_intent",
    amount: 4200,
    currency: "usd",
    status: "succeeded",
    receipt_email: "person@example.com",
  });
  const body = JSON.stringify(event);
  return post(`${ai.worker.url}/webhooks/stripe`, body, {
    "content-type": "application/json",
    "stripe-signature": await signStripe(body),
    traceparent,
  });
}

test("a webhook delivery is one trace under the caller's traceparent: server span, claim, write, completion", async () => {
  const traceId = hex(16);
  const callerSpan = hex(8);
  const res = await signedStripe(`00-${traceId}-${callerSpan}-01`);
  expect(res.status).toBe(200);
  await receiver.waitFor(traceId, "webhook.complete");

  const spans = receiver.spans.filter((s) => s.traceId === traceId);
  const server = spans.find((s) => s.kind === 2)!;
  expect(server).toMatchObject({
    name: "POST /webhooks/stripe",
    parentSpanId: callerSpan,
    service: "breakwater-e2e",
    attributes: expect.objectContaining({
      "http.request.method": "POST",
      "http.route": "/webhooks/stripe",
      "http.response.status_code": 200,
    }),
  });
  const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
  expect(Object.keys(byName).sort()).toEqual(
    ["POST /webhooks/stripe", "webhook.apply", "webhook.claim", "webhook.complete"].sort(),
  );
  for (const name of ["webhook.claim", "webhook.apply", "webhook.complete"])
    expect(byName[name]!.parentSpanId).toBe(server.spanId);
  expect(byName["webhook.claim"]!.attributes).toMatchObject({
    "db.system.name": "redis",
    "breakwater.webhook.claim": "claimed",
    "breakwater.breaker.state": "closed",
  });
  expect(byName["webhook.apply"]!.attributes["db.system.name"]).toBe("postgresql");
  expect(byName["webhook.apply"]!.start).toBeGreaterThanOrEqual(byName["webhook.claim"]!.end);

  // One export for the request, with the configured headers; no secret or payload in it.
  const exported = receiver.exports.filter((e) => e.traceIds.includes(traceId));
  expect(exported).toHaveLength(1);
  expect(exported[0]!.headers).toMatchObject({
    "x-collector-key": "collector secret",
    "x-tenant": "e2e",
  });
  const text = JSON.stringify(spans, (_, v) => (typeof v === "bigint" ? String(v) : v));
  for (const leak of [STRIPE_SECRET, "person@example.com", "pi_trace_", "collector secret"])
    expect(text).not.toContain(leak);
});

test("without a traceparent a request starts its own trace", async () => {
  const before = receiver.spans.length;
  const res = await fetch(`${ai.worker.url}/health`);
  expect(res.status).toBe(200);
  await new Promise((r) => setTimeout(r, 300));
  const server = receiver.spans.slice(before).find((s) => s.name === "GET /health")!;
  expect(server.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(server.parentSpanId).toBeUndefined();
  const checks = receiver.spans.filter(
    (s) => s.traceId === server.traceId && s.name.startsWith("check "),
  );
  expect(checks.map((s) => s.name)).toEqual(
    expect.arrayContaining(["check database", "check redis"]),
  );
});

test("a collector that fails or is gone never affects a request", async () => {
  receiver.fail(true);
  const refused = receiver.refused();
  try {
    const event = stripeEvent("customer.created", { id: `cus_${hex(4)}`, object: "customer" });
    const res = await sendStripe(ai.worker, JSON.stringify(event));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, duplicate: false });
    await until(() => receiver.refused() > refused);
    expect(receiver.refused()).toBe(refused + 1); // the export was tried, and refused
  } finally {
    receiver.fail(false);
  }
});

test("a chat completion with a failover is one trace: both providers' attempts, the Redis call, GenAI attributes, under the caller's trace id", async () => {
  const traceId = hex(16);
  const callerSpan = hex(8);
  ai.mocks.openai.failNext("500", 2); // one attempt and its retry fail: Anthropic serves
  const openaiCalls = ai.mocks.openai.calls().length;
  const completion = await ai
    .client()
    .chat.completions.create(
      { model: "chat-default", messages: [{ role: "user", content: "a secret question" }] },
      { headers: { traceparent: `00-${traceId}-${callerSpan}-01` } },
    );
  expect(completion.choices[0]!.message.content).toBeTruthy();
  await receiver.waitFor(traceId, "ai.usage.record");

  const spans = receiver.spans.filter((s) => s.traceId === traceId);
  const server = spans.find((s) => s.kind === 2)!;
  expect(server).toMatchObject({ name: "POST /v1/chat/completions", parentSpanId: callerSpan });
  const attempts = spans
    .filter((s) => s.attributes["gen_ai.operation.name"] === "chat")
    .sort(
      (a, b) =>
        Number(a.attributes["breakwater.attempt"]) - Number(b.attributes["breakwater.attempt"]),
    );
  expect(
    attempts.map((s) => [
      s.name,
      s.attributes["gen_ai.provider.name"],
      s.attributes["http.response.status_code"],
    ]),
  ).toEqual([
    ["chat gpt-4o-mini", "openai", 500],
    ["chat gpt-4o-mini", "openai", 500],
    ["chat claude-3-5-haiku-latest", "anthropic", 200],
  ]);
  for (const span of attempts) {
    expect(span.parentSpanId).toBe(server.spanId);
    expect(span.kind).toBe(3);
    expect(span.attributes["breakwater.breaker.state"]).toBe("closed");
  }
  expect(attempts[0]!.status.code).toBe(2);
  expect(attempts[1]!.attributes["breakwater.retry.delay_ms"]).toBeGreaterThanOrEqual(0);
  expect(attempts[2]!.attributes).toMatchObject({
    "gen_ai.request.model": "claude-3-5-haiku-latest",
    "gen_ai.response.model": "claude-3-5-haiku-latest",
    "gen_ai.usage.input_tokens": completion.usage!.prompt_tokens,
    "gen_ai.usage.output_tokens": completion.usage!.completion_tokens,
  });
  expect(spans.find((s) => s.name === "ai.admission")!.attributes["db.system.name"]).toBe("redis");
  expect(spans.find((s) => s.name === "ai.usage.record")!.attributes["db.system.name"]).toBe(
    "postgresql",
  );

  // The providers were called under the attempts' own spans, in the caller's trace.
  const upstreamParents = [
    ...ai.mocks.openai
      .calls()
      .slice(openaiCalls)
      .map((c) => c.headers.traceparent),
    ai.mocks.anthropic.calls().at(-1)!.headers.traceparent,
  ];
  expect(upstreamParents).toEqual(attempts.map((s) => `00-${traceId}-${s.spanId}-01`));
  // No message content, no key in any attribute.
  const text = JSON.stringify(spans, (_, v) => (typeof v === "bigint" ? String(v) : v));
  for (const leak of ["a secret question", PROXY_KEY, completion.choices[0]!.message.content!])
    expect(text).not.toContain(leak);
});

test("a provider whose breaker is open is a span with no call: the chain passed it over", async () => {
  ai.mocks.openai.failNext("500", 100);
  const ask = { model: "chat-default", messages: [{ role: "user" as const, content: "hi" }] };
  for (let i = 0; i < 5; i++) await ai.client().chat.completions.create(ask);
  await new Promise((r) => setTimeout(r, 300)); // the breaker's reports run after the responses
  const traceId = hex(16);
  await ai.client().chat.completions.create(ask, {
    headers: { traceparent: `00-${traceId}-${hex(8)}-01` },
  });
  await receiver.waitFor(traceId, "ai.usage.record");
  const chat = receiver.spans.filter(
    (s) => s.traceId === traceId && s.attributes["gen_ai.operation.name"] === "chat",
  );
  expect(chat.map((s) => [s.name, s.attributes["breakwater.breaker.state"]])).toEqual(
    expect.arrayContaining([
      ["chat gpt-4o-mini", "open"],
      ["chat claude-3-5-haiku-latest", "closed"],
    ]),
  );
  expect(chat.find((s) => s.name === "chat gpt-4o-mini")!.attributes).not.toHaveProperty(
    "http.response.status_code",
  );
});
