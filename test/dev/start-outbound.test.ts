// The "done when" of the outbound functions, through the real `npm start` path (dev/start.ts:
// workerd, embedded local PostgreSQL, in-memory state) against the Twilio and Stripe fakes, and
// `npm run fakes` printing the variables that point `npm start` at them.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, expect, test } from "vitest";
import { freePort } from "../../dev/services/ports.ts";
import { STRIPE_FAKE_KEY, type StripeFake, startStripeFake } from "../mocks/stripe-api.ts";
import {
  TWILIO_FAKE_ACCOUNT_SID,
  TWILIO_FAKE_AUTH_TOKEN,
  type TwilioFake,
  startTwilioFake,
} from "../mocks/twilio-api.ts";

const SERVICE_KEY = "start-test-service-key-0123456789";
const dataDir = mkdtempSync(`${tmpdir()}/breakwater-outbound-`);
chmodSync(dataDir, 0o755);

let twilio: TwilioFake;
let stripe: StripeFake;
let child: ChildProcess;
let origin: string;

/** Runs `script` with `env` until `ready(output)` says so; the child and everything it printed. */
async function run(
  script: string,
  env: Record<string, string>,
  ready: (output: string) => boolean,
) {
  const started = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  started.stdout!.on("data", (d) => (output += d));
  started.stderr!.on("data", (d) => (output += d));
  const until = Date.now() + 90_000;
  while (!ready(output)) {
    if (started.exitCode !== null) throw new Error(`${script} exited:\n${output}`);
    if (Date.now() > until) throw new Error(`${script} not ready in 90 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child: started, output: () => output };
}

async function stop(process: ChildProcess | undefined) {
  if (!process || process.exitCode !== null) return;
  const exited = new Promise((r) => process.once("exit", r));
  process.kill("SIGINT");
  await exited;
}

beforeAll(async () => {
  [twilio, stripe] = await Promise.all([startTwilioFake(), startStripeFake()]);
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  ({ child } = await run(
    "dev/start.ts",
    {
      PORT: String(port),
      BREAKWATER_DATA_DIR: dataDir,
      SUPABASE_URL: "",
      UPSTASH_REDIS_REST_URL: "",
      TWILIO_API_BASE_URL: twilio.url,
      TWILIO_ACCOUNT_SID: TWILIO_FAKE_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TWILIO_FAKE_AUTH_TOKEN,
      TWILIO_FROM: "+15005550006",
      STRIPE_API_BASE_URL: stripe.url,
      STRIPE_SECRET_KEY: STRIPE_FAKE_KEY,
      SERVICE_API_KEYS: SERVICE_KEY,
    },
    (output) => output.includes("listening on"),
  ));
}, 120_000);

afterAll(async () => {
  await stop(child);
  await Promise.all([twilio?.close(), stripe?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const call = async (path: string, body: unknown) => {
  const res = await fetch(`${origin}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${SERVICE_KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

test("an SMS, and a verification: start, a wrong code, the right code, a replay refused", async () => {
  expect(
    await call("/messages/sms", { to: "+15005550010", body: "Hello from npm start" }),
  ).toMatchObject({
    status: 202,
    body: { sid: expect.stringMatching(/^SM/), status: "queued" },
  });

  expect((await call("/verify/start", { phone: "+15005550011" })).status).toBe(202);
  const code = /\b(\d{6})\b/.exec(twilio.messages().at(-1)!.body)![1]!;
  const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0");
  expect(await call("/verify/check", { phone: "+15005550011", code: wrong })).toMatchObject({
    status: 400,
    body: { error: { code: "invalid_code", details: { attemptsLeft: 4 } } },
  });
  expect(await call("/verify/check", { phone: "+15005550011", code })).toEqual({
    status: 200,
    body: { status: "approved" },
  });
  expect((await call("/verify/check", { phone: "+15005550011", code })).status).toBe(404);
});

test("a PaymentIntent after a retried 500 (one object) and a subscription", async () => {
  const customer = await call("/payments/customers", { email: "grace@example.com" });
  expect(customer.status).toBe(201);

  const objects = stripe.paymentIntents.size;
  stripe.failNext("500");
  const intent = await call("/payments/intents", {
    amount: 2500,
    currency: "usd",
    customer: customer.body.id,
  });
  expect(intent).toMatchObject({
    status: 201,
    body: { id: expect.stringMatching(/^pi_/), status: "requires_payment_method" },
  });
  expect(stripe.paymentIntents.size).toBe(objects + 1);
  const tried = stripe.calls().filter((r) => r.path === "/v1/payment_intents");
  expect(tried.slice(-2).map((r) => r.headers["idempotency-key"])).toEqual(
    Array(2).fill(tried.at(-1)!.headers["idempotency-key"]),
  );

  const subscription = await call("/payments/subscriptions", {
    customer: customer.body.id,
    price: "price_pro_yearly",
  });
  expect(subscription).toMatchObject({
    status: 201,
    body: { status: "incomplete", client_secret: expect.stringMatching(/_secret_/) },
  });
});

test("npm run fakes prints the variables that point npm start at its fakes, and they work", async () => {
  const [twilioPort, stripePort] = [await freePort(), await freePort()];
  const fakes = await run(
    "dev/fakes.ts",
    { TWILIO_FAKE_PORT: String(twilioPort), STRIPE_FAKE_PORT: String(stripePort) },
    (output) => output.includes("npm start\n"),
  );
  try {
    const vars = Object.fromEntries(
      [...fakes.output().matchAll(/^(\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]),
    );
    expect(vars).toMatchObject({
      TWILIO_API_BASE_URL: `http://127.0.0.1:${twilioPort}`,
      STRIPE_API_BASE_URL: `http://127.0.0.1:${stripePort}`,
    });
    const res = await fetch(
      `${vars.TWILIO_API_BASE_URL}/2010-04-01/Accounts/${vars.TWILIO_ACCOUNT_SID}/Messages.json`,
      {
        method: "POST",
        headers: {
          authorization: `Basic ${Buffer.from(`${vars.TWILIO_ACCOUNT_SID}:${vars.TWILIO_AUTH_TOKEN}`).toString("base64")}`,
          "content-type": "application/x-www-form-urlencoded",
        },
        body: new URLSearchParams({
          To: "+15005550012",
          From: vars.TWILIO_FROM!,
          Body: "Your verification code is 123456.",
        }),
      },
    );
    expect(res.status).toBe(201);
    await new Promise((r) => setTimeout(r, 400));
    expect(fakes.output()).toContain("SMS to +15005550012: Your verification code is 123456.");
  } finally {
    await stop(fakes.child);
  }
}, 30_000);
