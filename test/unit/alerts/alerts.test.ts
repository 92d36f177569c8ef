import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { createRedis } from "../../../shared/clients/redis.ts";
import { type AlertFormat, createAlerts } from "../../../shared/alerts/index.ts";
import { createLogger } from "../../../shared/http/logger.ts";
import { startAlertReceiver } from "./receiver.ts";

let receiver: Awaited<ReturnType<typeof startAlertReceiver>>;
beforeAll(async () => {
  receiver = await startAlertReceiver();
});
afterAll(() => receiver.close());

const redis = () => createRedis({ ...inject("upstash"), timeoutMs: 1_000 });

function alertsWith(options: {
  format?: AlertFormat;
  shared?: boolean;
  prefix?: string;
  lines?: string[];
}) {
  const lines = options.lines ?? [];
  return createAlerts({
    url: receiver.url,
    format: options.format ?? "slack",
    redis: options.shared ? redis() : undefined,
    prefix: options.prefix ?? `alerts-${crypto.randomUUID()}:`,
    log: createLogger({ fn: "test", sink: (line) => lines.push(line) }),
    timeoutMs: 300,
  });
}

const opened = { kind: "breaker_opened" as const, breaker: "openai", at: Date.UTC(2026, 11, 7, 9) };

test.each([
  ["slack", (b: any) => b.text],
  ["discord", (b: any) => b.content],
  ["json", (b: any) => b.text],
] as const)("a %s receiver gets the alert in its own shape", async (format, textOf) => {
  receiver.answer("ok");
  const before = receiver.bodies.length;
  await alertsWith({ format }).send(opened, "openai:breaker_opened:1");
  const body = receiver.bodies[before];
  expect(textOf(body)).toContain("breaker openai opened");
  if (format === "json") {
    expect(body).toMatchObject({
      kind: "breaker_opened",
      breaker: "openai",
      at: "2026-12-07T09:00:00.000Z",
    });
  } else expect(Object.keys(body)).toHaveLength(1);
});

test("two isolates sharing Redis send an alert once: the first to claim its id sends it", async () => {
  receiver.answer("ok");
  const prefix = `alerts-${crypto.randomUUID()}:`;
  const [a, b] = [alertsWith({ shared: true, prefix }), alertsWith({ shared: true, prefix })];
  const before = receiver.bodies.length;
  await Promise.all([
    a.send(opened, "openai:breaker_opened:7"),
    b.send(opened, "openai:breaker_opened:7"),
  ]);
  await a.send(opened, "openai:breaker_opened:7");
  expect(receiver.bodies.length - before).toBe(1);
  await b.send(opened, "openai:breaker_opened:9"); // the next outage is a new alert
  expect(receiver.bodies.length - before).toBe(2);
});

test("without Redis an alert is sent once per isolate", async () => {
  receiver.answer("ok");
  const alerts = alertsWith({});
  const before = receiver.bodies.length;
  await alerts.send(opened, "x:breaker_opened:1");
  await alerts.send(opened, "x:breaker_opened:1");
  expect(receiver.bodies.length - before).toBe(1);
});

test("a failing or hanging receiver is logged, never thrown; after three failures its breaker stops the calls", async () => {
  const lines: string[] = [];
  const alerts = alertsWith({ lines });
  receiver.answer("hang");
  const started = Date.now();
  await alerts.send(opened, "hang:1");
  expect(Date.now() - started).toBeLessThan(1_000); // the 300 ms timeout, not the receiver
  receiver.answer("fail");
  await alerts.send(opened, "fail:1");
  await alerts.send(opened, "fail:2");
  const before = receiver.bodies.length;
  await alerts.send(opened, "fail:3");
  expect(receiver.bodies.length).toBe(before); // refused by the receiver's open breaker
  const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === "error");
  expect(errors.map((l) => l.msg)).toEqual([
    "alert not delivered: it failed",
    "alert not delivered: it failed",
    "alert not delivered: it failed",
    "alert not delivered: its breaker is open",
  ]);
});
