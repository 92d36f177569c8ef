import { expect, test } from "vitest";
import { createLogger } from "../../../shared/http/logger.ts";

// Canary secrets: each must never appear in any log output.
const CANARIES = {
  bearer: "Bearer tok_CANARY_7f3a9b2c",
  // Assembled at run time so secret scanners do not mistake the canary for a committed key.
  stripeKey: ["sk", "live", "CANARY51H8s7d6f5g4h3"].join("_"),
  stripeTestKey: "rk_test_CANARY00aa11bb22cc",
  webhookSecret: "whsec_CANARYc2VjcmV0LXNlY3JldA",
  openAiKey: "sk-proj-CANARY_abcdefghijklmnop1234",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.CANARYsignature_xyz",
  card: "4242 4242 4242 4242",
  password: "CANARY-hunter2-password",
  twilioToken: "CANARY5f4dcc3b5aa765d61d8327deb882cf99",
};

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ fn: "test", sink: (l) => lines.push(l), level: "debug" }) };
}

function expectNoCanary(output: string) {
  for (const [name, value] of Object.entries(CANARIES)) {
    expect(output, `${name} leaked`).not.toContain(value);
    expect(output, `${name} leaked`).not.toContain("CANARY");
  }
}

test("secret-named fields are redacted at any depth", () => {
  const { lines, log } = capture();
  log.info("call", {
    headers: { Authorization: CANARIES.bearer, cookie: "session=CANARY1", "x-api-key": "CANARY2" },
    config: {
      apiKey: CANARIES.openAiKey,
      auth_token: CANARIES.twilioToken,
      nested: [{ password: CANARIES.password }],
    },
    signature: "v1=CANARY3",
    client_secret: "CANARY4",
  });
  expectNoCanary(lines.join("\n"));
  expect(JSON.parse(lines[0]!).headers.Authorization).toBe("[REDACTED]");
});

test("secret-looking values are scrubbed inside free text and the message", () => {
  const { lines, log } = capture();
  log.warn(`upstream said ${CANARIES.bearer} was wrong`, {
    note: `keys ${CANARIES.stripeKey} ${CANARIES.stripeTestKey} ${CANARIES.webhookSecret} ${CANARIES.openAiKey}`,
    jwt: `token=${CANARIES.jwt}`,
    paid: `card ${CANARIES.card} charged`,
  });
  expectNoCanary(lines.join("\n"));
});

test("an error is logged by name and message only, scrubbed, without a stack", () => {
  const { lines, log } = capture();
  log.error("failed", { error: new Error(`auth failed for ${CANARIES.stripeKey}`) });
  const entry = JSON.parse(lines[0]!);
  expect(entry.error).toEqual({ name: "Error", message: "auth failed for [REDACTED]" });
  expect(lines[0]).not.toContain("at ");
});

test("child context is redacted too", () => {
  const { lines, log } = capture();
  log.child({ requestId: "r1", token: CANARIES.twilioToken }).info("hello");
  expectNoCanary(lines.join("\n"));
  expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: "r1", token: "[REDACTED]" });
});

test("non-card digit runs are kept", () => {
  const { lines, log } = capture();
  log.info("order", { order: "order 1234567890123 shipped", amount: 4242 });
  expect(JSON.parse(lines[0]!)).toMatchObject({
    order: "order 1234567890123 shipped",
    amount: 4242,
  });
});

test("a line carries level, time, function and message", () => {
  const { lines, log } = capture();
  log.alert("breaker open", { breaker: "openai" });
  const entry = JSON.parse(lines[0]!);
  expect(entry).toMatchObject({
    level: "alert",
    fn: "test",
    msg: "breaker open",
    breaker: "openai",
  });
  expect(Date.parse(entry.time)).not.toBeNaN();
});

test("lines below the level are dropped", () => {
  const lines: string[] = [];
  const log = createLogger({ fn: "t", level: "warn", sink: (l) => lines.push(l) });
  log.info("quiet");
  log.warn("loud");
  expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["loud"]);
});

test("cyclic fields do not break logging", () => {
  const { lines, log } = capture();
  const a: Record<string, unknown> = { name: "a" };
  a.self = a;
  log.info("cycle", { a });
  expect(JSON.parse(lines[0]!).a.self).toBe("[…]");
});
