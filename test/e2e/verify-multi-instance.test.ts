// Verification limits and pending codes hold across the fleet: two separately started workerd
// processes on one Redis (the run's, through the Upstash gateway) and one deployment prefix.
import { afterAll, beforeAll, expect, test } from "vitest";
import { type LocalWorker, startLocalWorker } from "../../dev/local/worker.ts";
import { freePort } from "../../dev/services/ports.ts";
import { type OutboundStack, SERVICE_KEY, startOutboundStack } from "./outbound-stack.ts";
import { post } from "./webhook-stack.ts";

const PREFIX = `multi-verify-${crypto.randomUUID()}:`;
let a: OutboundStack;
let b: LocalWorker;

beforeAll(async () => {
  a = await startOutboundStack({ bindings: { STATE_KEY_PREFIX: PREFIX } });
  // The same deployment (its Redis prefix, its database) in a second workerd process.
  b = await startLocalWorker({
    entry: "functions/worker.ts",
    port: await freePort(),
    bindings: a.bindings,
  });
}, 60_000);
afterAll(async () => {
  await b?.dispose();
  await a?.close();
});

let n = 0;
const phone = () => `+1202556${String(1000 + ++n).slice(-4)}`;
const address = () => ({ "cf-connecting-ip": `203.0.113.${++n}` });
const on = (
  worker: { url: string },
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
) =>
  post(`${worker.url}${path}`, JSON.stringify(body), {
    "content-type": "application/json",
    authorization: `Bearer ${SERVICE_KEY}`,
    ...headers,
  });
const start = (worker: { url: string }, number: string, headers = address()) =>
  on(worker, "/verify/start", { phone: number }, headers);
const codeSentTo = (number: string) =>
  /\b(\d{6})\b/.exec(
    a.twilio
      .messages()
      .filter((m) => m.to === number)
      .at(-1)!.body,
  )![1]!;

test("a start through one instance makes a second start through the other wait (one per 30 s per phone)", async () => {
  const number = phone();
  expect((await start(a.worker, number)).status).toBe(202);
  const again = await start(b, number);
  expect(again.status).toBe(429);
  expect(Number(again.headers.get("retry-after"))).toBeGreaterThan(0);
});

test("a code started through one instance is approved through the other, once", async () => {
  const number = phone();
  expect((await start(b, number)).status).toBe(202);
  const code = codeSentTo(number);
  expect((await on(a.worker, "/verify/check", { phone: number, code })).status).toBe(200);
  expect((await on(b, "/verify/check", { phone: number, code })).status).toBe(404);
});

test("wrong guesses through both instances share the 5 attempts", async () => {
  const number = phone();
  expect((await start(a.worker, number)).status).toBe(202);
  const code = codeSentTo(number);
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  const statuses = [];
  for (let i = 0; i < 5; i++)
    statuses.push(
      (await on(i % 2 ? b : a.worker, "/verify/check", { phone: number, code: wrong })).status,
    );
  expect(statuses).toEqual([400, 400, 400, 400, 400]);
  expect((await on(b, "/verify/check", { phone: number, code })).status).toBe(404);
});

test("one client address gets 20 starts an hour across both instances", async () => {
  const headers = address();
  const statuses = [];
  for (let i = 0; i < 21; i++)
    statuses.push((await start(i % 2 ? b : a.worker, phone(), headers)).status);
  expect(statuses.slice(0, 20)).toEqual(Array(20).fill(202));
  expect(statuses[20]).toBe(429);
}, 30_000);
