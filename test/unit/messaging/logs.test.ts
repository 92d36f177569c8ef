// A verification code never appears in a log line or an answer: the messaging app in process,
// its real dependencies (in-memory state), Twilio faked on loopback, every log line captured.
import { afterAll, beforeAll, expect, test } from "vitest";
import { createMessagingApp } from "../../../functions/messaging/app.ts";
import { messagingDeps } from "../../../functions/messaging/deps.ts";
import { createRootApp } from "../../../shared/http/app.ts";
import {
  TWILIO_FAKE_ACCOUNT_SID,
  TWILIO_FAKE_AUTH_TOKEN,
  type TwilioFake,
  startTwilioFake,
} from "../../mocks/twilio-api.ts";

let twilio: TwilioFake;
beforeAll(async () => {
  twilio = await startTwilioFake();
});
afterAll(() => twilio?.close());

test("the code is in the SMS only: not in any log line (debug included) nor any answer", async () => {
  const lines: string[] = [];
  const app = createRootApp({
    name: "messaging",
    apps: [createMessagingApp(messagingDeps)],
    logLevel: "debug",
    logSink: (line) => lines.push(line),
  });
  const env = {
    SUPABASE_URL: "http://127.0.0.1:9", // recording fails and is logged: a line to check too
    SUPABASE_SERVICE_ROLE_KEY: "unused",
    SERVICE_API_KEYS: "logs-test-service-key",
    TWILIO_ACCOUNT_SID: TWILIO_FAKE_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: TWILIO_FAKE_AUTH_TOKEN,
    TWILIO_FROM: "+15005550001",
    TWILIO_API_BASE_URL: twilio.url,
  };
  const call = (path: string, body: unknown) =>
    app.request(
      path,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer logs-test-service-key",
        },
        body: JSON.stringify(body),
      },
      env,
    );
  const phone = "+15005550006";
  const answers = [await call("/verify/start", { phone })];
  const code = /\b(\d{6})\b/.exec(twilio.messages().at(-1)!.body)![1]!;
  answers.push(
    await call("/verify/check", { phone, code: String((Number(code) + 1) % 1e6).padStart(6, "0") }),
  );
  answers.push(await call("/verify/check", { phone, code }));
  expect(answers.map((r) => r.status)).toEqual([202, 400, 200]);
  await new Promise((r) => setTimeout(r, 200)); // the deferred record's failure is logged
  expect(lines.some((line) => line.includes("sent message not recorded"))).toBe(true);
  expect(lines.length).toBeGreaterThanOrEqual(6);
  for (const line of lines) expect(line).not.toContain(code);
  for (const res of answers) expect(await res.text()).not.toContain(code);
});
