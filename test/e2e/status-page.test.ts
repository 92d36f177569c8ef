import { mkdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startAiStack } from "./ai-stack.ts";
import { type Browser, launchChromium } from "./chromium.ts";
import { sendStripe, sendTwilio, stripeEvent } from "./webhook-stack.ts";

// The operator's page in a real browser: Debian's headless Chromium loads GET /status from the
// all-in-one worker in workerd after a run of webhooks, AI requests and an opened breaker, and
// reads what it rendered. The screenshot is kept for CI as an artifact.
const PASSWORD = "status-e2e-password";
const SCREENSHOT = ".breakwater/artifacts/status-page.png";
const basic = (password: string) => `Basic ${btoa(`operator:${password}`)}`;

let ai: Awaited<ReturnType<typeof startAiStack>>;
let browser: Browser;

beforeAll(async () => {
  [ai, browser] = await Promise.all([
    startAiStack({ STATUS_PASSWORD: PASSWORD }),
    launchChromium(),
  ]);
  const payment = stripeEvent("payment_intent.succeeded", {
    id: "pi_status_1",
    object: "payment_intent",
    amount: 1200,
    currency: "usd",
    status: "succeeded",
  });
  const body = JSON.stringify(payment);
  expect((await sendStripe(ai.worker, body)).status).toBe(200);
  expect((await sendStripe(ai.worker, body)).status).toBe(200); // the duplicate
  expect((await sendStripe(ai.worker, body, { secret: "whsec_forged" })).status).toBe(400);
  const sid = `SM${crypto.randomUUID().replaceAll("-", "")}`;
  const callback = { MessageSid: sid, MessageStatus: "delivered", AccountSid: "AC1" };
  expect((await sendTwilio(ai.worker, "/webhooks/twilio/status", callback)).status).toBe(200);

  const ask = { messages: [{ role: "user" as const, content: "hello" }] };
  await ai.client().chat.completions.create({ model: "chat-default", ...ask });
  await ai.client().chat.completions.create({ model: "claude", ...ask });
  // OpenAI fails every attempt: after 5 failed requests (each served by Anthropic) its breaker opens.
  ai.mocks.openai.failNext("500", 50);
  for (let i = 0; i < 5; i++)
    await ai.client().chat.completions.create({ model: "chat-default", ...ask });
  await new Promise((resolve) => setTimeout(resolve, 500)); // usage rows and counters: waitUntil
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ai?.close();
});

test("GET /status asks for its password with a Basic challenge, and refuses a wrong one", async () => {
  const none = await fetch(`${ai.worker.url}/status`);
  expect(none.status).toBe(401);
  expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
  const wrong = await fetch(`${ai.worker.url}/status.json`, {
    headers: { authorization: basic("not-the-password") },
  });
  expect(wrong.status).toBe(401);
});

test("GET /status.json serves the report the page shows", async () => {
  const res = await fetch(`${ai.worker.url}/status.json`, {
    headers: { authorization: basic(PASSWORD) },
  });
  expect(res.status).toBe(200);
  const report = (await res.json()) as any;
  expect(report.dependencies.database.healthy).toBe(true);
  expect(report.dependencies.redis.healthy).toBe(true);
  expect(report.breakers.find((b: any) => b.name === "openai").state).toBe("open");
  expect(report.webhooks.find((w: any) => w.provider === "stripe")).toEqual({
    provider: "stripe",
    received: 3,
    applied: 1,
    duplicates: 1,
    refused: 1,
    unavailable: 0,
  });
  expect(report.hours).toHaveLength(24);
});

test("headless Chromium renders the breakers, webhook counts, AI usage and the hourly chart", async () => {
  const page = await browser.open(`${ai.worker.url}/status`, {
    headers: { Authorization: basic(PASSWORD) },
    width: 390, // a phone
  });
  mkdirSync(".breakwater/artifacts", { recursive: true });
  writeFileSync(SCREENSHOT, await page.screenshot());

  const rendered = await page.evaluate<any>(`(() => {
    const rows = (selector, read) => [...document.querySelectorAll(selector)].map(read);
    const cells = (tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent.trim());
    const bars = [...document.querySelectorAll("#hourly-chart g.hour")];
    return {
      title: document.title,
      overall: document.querySelector("#overall").textContent,
      badgeColour: getComputedStyle(document.querySelector("#overall")).backgroundColor,
      breakers: rows("#breakers tr[data-breaker]", (tr) => [tr.dataset.breaker, tr.dataset.state]),
      dependencies: rows("#dependencies tr[data-dependency]", cells),
      stripe: cells(document.querySelector('#webhooks tr[data-provider="stripe"]')),
      twilio: cells(document.querySelector('#webhooks tr[data-provider="twilio"]')),
      models: rows("#ai-models tr[data-name]", cells),
      keys: rows("#ai-keys tr[data-name]", (tr) => [tr.dataset.name, tr.dataset.requests]),
      hours: bars.length,
      requests: bars.reduce((n, g) => n + Number(g.dataset.requests), 0),
      errors: bars.reduce((n, g) => n + Number(g.dataset.errors), 0),
      tallest: Math.max(...bars.map((g) => g.querySelector("rect").getBBox().height)),
      chartWidth: document.querySelector("#hourly-chart").getBoundingClientRect().width,
      pageWidth: document.documentElement.scrollWidth,
    };
  })()`);

  expect(rendered.overall).toBe("degraded"); // OpenAI's probe fails while its mock fails
  expect(rendered.breakers).toContainEqual(["openai", "open"]);
  expect(rendered.dependencies.map((d: string[]) => d[0])).toEqual(
    expect.arrayContaining(["database", "redis", "openai", "anthropic"]),
  );
  // provider, received, applied, duplicates, refused signatures, 503s
  expect(rendered.stripe).toEqual(["stripe", "3", "1", "1", "1", "0"]);
  expect(rendered.twilio).toEqual(["twilio", "1", "1", "0", "0", "0"]);
  const chat = rendered.models.find((m: string[]) => m[0] === "chat-default");
  expect(chat[1]).toBe("6");
  expect(rendered.models.find((m: string[]) => m[0] === "claude")[1]).toBe("1");
  expect(rendered.keys).toHaveLength(1);
  expect(rendered.keys[0][1]).toBe("7");
  // 7 AI requests and 4 webhook deliveries, in this hour (or across its turn).
  expect(rendered.hours).toBe(24);
  expect(rendered.requests).toBe(11);
  expect(rendered.tallest).toBeGreaterThan(0); // drawn, not just listed
  // The nonce'd stylesheet applied under the page's CSP, and the page fits a phone's width.
  expect(rendered.badgeColour).not.toBe("rgba(0, 0, 0, 0)");
  expect(rendered.chartWidth).toBeLessThanOrEqual(390);
  expect(rendered.pageWidth).toBeLessThanOrEqual(390);
  expect(page.console.filter((line) => /Content.Security.Policy/i.test(line))).toEqual([]);
}, 30_000);
