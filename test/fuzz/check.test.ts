import { expect, test } from "vitest";
import type { Prepared } from "./cases.ts";
import { checkResponse, PropertyViolation } from "./check.ts";
import type { WireResponse } from "./http.ts";

// The fuzz suite is only as good as its checks: each property must catch what it claims to,
// shown here on made-up answers (no worker needed).

const SECRETS = [{ name: "STRIPE_WEBHOOK_SECRET", value: "whsec_check_0123456789" }];
const ID = "0b6f1f3e-2d4c-4f8a-9b1e-3c5d7e9f1a2b";

const request = (path: string, headers: [string, string][] = []): Prepared => ({
  wire: { method: "POST", target: path, headers, body: new Uint8Array(), framing: "length" },
  forbidden: ["5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"],
  path,
});

const general = (path: string, extra: object = {}) => ({
  success: false,
  error: {
    code: "invalid_signature",
    message: "no",
    category: "authentication",
    timestamp: new Date().toISOString(),
    requestId: ID,
    path,
    ...extra,
  },
});

const answer = (status: number, body: unknown, headers: [string, string][] = []): WireResponse => ({
  status,
  headers: [["content-type", "application/json"], ["x-request-id", ID], ...headers],
  body: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)),
  ms: 1,
});

const violation = (p: Prepared, res: WireResponse) => {
  try {
    checkResponse(p, res, SECRETS);
  } catch (error) {
    expect(error).toBeInstanceOf(PropertyViolation);
    return (error as Error).message.split("\n")[0];
  }
  return undefined;
};

test("a well-formed error passes", () => {
  expect(violation(request("/webhooks/stripe"), answer(400, general("/webhooks/stripe")))).toBe(
    undefined,
  );
  const openAi = { error: { message: "m", type: "invalid_request_error", param: null, code: "c" } };
  expect(violation(request("/v1/models"), answer(401, { ...openAi, requestId: ID }))).toBe(
    undefined,
  );
});

test("each property catches its breach", () => {
  const stripe = request("/webhooks/stripe");
  expect(violation(stripe, answer(500, general("/webhooks/stripe")))).toMatch(/status 500/);
  expect(violation(stripe, answer(400, "oops"))).toMatch(/not JSON/);
  expect(violation(request("/v1/models"), answer(400, general("/v1/models")))).toMatch(/OpenAI/);
  expect(violation(stripe, answer(400, general("/elsewhere")))).toMatch(/error.path/);
  expect(violation(stripe, answer(400, general("/webhooks/stripe", { category: "x" })))).toMatch(
    /category/,
  );
  const noId = { ...answer(200, {}), headers: [["content-type", "application/json"]] };
  expect(violation(stripe, noId as WireResponse)).toMatch(/0 x-request-id/);
  const echoed = request("/webhooks/stripe", [["x-request-id", "mine"]]);
  expect(violation(echoed, answer(400, general("/webhooks/stripe")))).toMatch(/not the sane one/);
  expect(
    violation(stripe, answer(400, general("/webhooks/stripe", { hint: SECRETS[0]!.value }))),
  ).toMatch(/contains STRIPE_WEBHOOK_SECRET/);
  expect(violation(stripe, answer(200, {}, [["x-debug", stripe.forbidden[0]!]]))).toMatch(
    /expected signature/,
  );
  expect(violation(stripe, answer(405, general("/webhooks/stripe"), [["allow", "POST"]]))).toMatch(
    /405 refusing POST/,
  );
  expect(violation(stripe, answer(200, "<xml/>", [["content-type", "text/xml"]]))).toBeDefined();
});
