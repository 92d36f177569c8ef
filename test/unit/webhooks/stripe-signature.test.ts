import { createHmac } from "node:crypto";
import Stripe from "stripe";
import { describe, expect, test } from "vitest";
import { hmacSha256Hex, utf8 } from "../../../shared/webhooks/hmac.ts";
import {
  type StripeVerifyInput,
  verifyStripeSignature,
} from "../../../shared/webhooks/stripe-signature.ts";

// Oracle: stripe-node 23.1.0 builds every header (its default Node crypto provider) and, where
// our behaviour is meant to agree with it, says whether it would accept the same request.
const SECRET = "whsec_primary_0123456789abcdef";
const OLD_SECRET = "whsec_previous_fedcba9876543210";
const NOW_SEC = 1_767_268_800; // 2026-01-01T12:00:00Z
const PAYLOAD = JSON.stringify({ id: "evt_1", object: "event", type: "invoice.paid" });

const header = (opts: { payload?: string; secret?: string; timestamp?: number; scheme?: string }) =>
  Stripe.webhooks.generateTestHeaderStringAsync({
    payload: opts.payload ?? PAYLOAD,
    secret: opts.secret ?? SECRET,
    timestamp: opts.timestamp ?? NOW_SEC,
    ...(opts.scheme ? { scheme: opts.scheme } : {}),
  });

const verify = (
  signature: string | null | undefined,
  body: string | Uint8Array = PAYLOAD,
  options: Partial<StripeVerifyInput> = {},
) =>
  verifyStripeSignature({
    header: signature,
    body: typeof body === "string" ? utf8(body) : body,
    secrets: [SECRET],
    now: NOW_SEC * 1000,
    ...options,
  });

async function stripeNodeAccepts(signature: string, body = PAYLOAD, secret = SECRET) {
  const check = Stripe.webhooks.signature;
  if (!check) throw new Error("stripe-node has no signature helper");
  return check.verifyHeaderAsync(body, signature, secret, 300, undefined, NOW_SEC * 1000).then(
    () => true,
    () => false,
  );
}

const v1Of = (h: string) => h.split(",v1=")[1] ?? "";

test("a header stripe-node generated for the raw body verifies, returning its timestamp", async () => {
  const signed = await header({});
  expect(await verify(signed)).toEqual({ ok: true, timestamp: NOW_SEC });
  expect(await stripeNodeAccepts(signed)).toBe(true);
});

test("the published vector computeHMACSignature('', 'test_secret') reproduces", async () => {
  expect(await hmacSha256Hex("test_secret", utf8(""))).toBe(
    "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd",
  );
});

describe("a body that is not the signed one is refused", () => {
  const oneByte = PAYLOAD.replace("evt_1", "evt_2");
  const pretty = JSON.stringify(JSON.parse(PAYLOAD), null, 2);
  test.each([
    ["one byte changed", PAYLOAD, oneByte],
    ["a trailing newline added", PAYLOAD, `${PAYLOAD}\n`],
    ["a trailing newline removed", `${PAYLOAD}\n`, PAYLOAD],
    ["pretty-printed JSON", PAYLOAD, pretty],
  ])("%s", async (_, signedBody, sentBody) => {
    const signed = await header({ payload: signedBody });
    expect(await verify(signed, sentBody)).toEqual({ ok: false, reason: "no_matching_signature" });
    expect(await stripeNodeAccepts(signed, sentBody)).toBe(false);
  });
});

test("a signature made with another secret is refused", async () => {
  const signed = await header({ secret: "whsec_someone_else" });
  expect(await verify(signed)).toEqual({ ok: false, reason: "no_matching_signature" });
  expect(await stripeNodeAccepts(signed)).toBe(false);
});

test.each([
  ["valid first", (valid: string) => `t=${NOW_SEC},v1=${valid},v1=${"0".repeat(64)}`],
  ["valid last", (valid: string) => `t=${NOW_SEC},v1=${"0".repeat(64)},v1=${valid}`],
])("any matching v1 among several passes (rotation, %s)", async (_, build) => {
  const signed = build(v1Of(await header({})));
  expect((await verify(signed)).ok).toBe(true);
  expect(await stripeNodeAccepts(signed)).toBe(true);
});

test("either configured secret verifies during our own rotation; a third does not", async () => {
  const secrets = [SECRET, OLD_SECRET];
  expect((await verify(await header({ secret: SECRET }), PAYLOAD, { secrets })).ok).toBe(true);
  expect((await verify(await header({ secret: OLD_SECRET }), PAYLOAD, { secrets })).ok).toBe(true);
  const third = await header({ secret: "whsec_third" });
  expect(await verify(third, PAYLOAD, { secrets })).toEqual({
    ok: false,
    reason: "no_matching_signature",
  });
});

test("v0 is never accepted, even when it is a valid HMAC", async () => {
  const signed = await header({ scheme: "v0" });
  expect(await verify(signed)).toEqual({ ok: false, reason: "no_v1_signature" });
  expect(await stripeNodeAccepts(signed)).toBe(false);
});

test("upper-case hex is refused, as stripe-node does", async () => {
  const signed = `t=${NOW_SEC},v1=${v1Of(await header({})).toUpperCase()}`;
  expect(await verify(signed)).toEqual({ ok: false, reason: "no_matching_signature" });
  expect(await stripeNodeAccepts(signed)).toBe(false);
});

test.each([
  ["63 characters", (v: string) => v.slice(0, 63)],
  ["65 characters", (v: string) => `${v}0`],
  ["empty", () => ""],
])("a v1 of the wrong length (%s) is refused without throwing", async (_, cut) => {
  const signed = `t=${NOW_SEC},v1=${cut(v1Of(await header({})))}`;
  expect(await verify(signed)).toEqual({ ok: false, reason: "no_matching_signature" });
});

describe("the timestamp must be within the tolerance, in both directions", () => {
  test.each([
    ["299 s old", -299, true, true],
    ["exactly 300 s old", -300, true, true],
    ["301 s old", -301, false, false],
    ["exactly 300 s ahead", 300, true, true],
    // Stricter than stripe-node, which accepts any future timestamp.
    ["301 s ahead", 301, false, true],
  ])("%s", async (_, offset, ours, stripeNode) => {
    const signed = await header({ timestamp: NOW_SEC + offset });
    const result = await verify(signed);
    expect(result).toEqual(
      ours
        ? { ok: true, timestamp: NOW_SEC + offset }
        : { ok: false, reason: "timestamp_outside_tolerance" },
    );
    expect(await stripeNodeAccepts(signed)).toBe(stripeNode);
  });

  test("a custom tolerance is honoured", async () => {
    const signed = await header({ timestamp: NOW_SEC - 11 });
    expect(await verify(signed, PAYLOAD, { toleranceSec: 10 })).toEqual({
      ok: false,
      reason: "timestamp_outside_tolerance",
    });
  });

  test("the signature is checked first: a forged stale header is a bad signature", async () => {
    const forged = await header({ timestamp: NOW_SEC - 3600, secret: "whsec_forger" });
    expect(await verify(forged)).toEqual({ ok: false, reason: "no_matching_signature" });
  });
});

test.each([undefined, null, ""])("a missing header (%j) is refused", async (value) => {
  expect(await verify(value)).toEqual({ ok: false, reason: "missing_header" });
});

test.each([
  ["no t=", (v: string) => `v1=${v}`],
  ["an empty t=", (v: string) => `t=,v1=${v}`],
  ["a non-numeric t=", (v: string) => `t=abc,v1=${v}`],
  ["t=NaN", (v: string) => `t=NaN,v1=${v}`],
  ["a negative t=", (v: string) => `t=-${NOW_SEC},v1=${v}`],
  ["t in exponent form", (v: string) => `t=1.7e9,v1=${v}`],
  ["t with a leading zero", (v: string) => `t=0${NOW_SEC},v1=${v}`],
  ["a space before a comma", (v: string) => `t=${NOW_SEC} ,v1=${v}`],
  ["a space after t=", (v: string) => `t= ${NOW_SEC},v1=${v}`],
])("a header with %s is malformed", async (_, build) => {
  const signed = build(v1Of(await header({})));
  expect(await verify(signed)).toEqual({ ok: false, reason: "malformed_header" });
});

test("a duplicate t= is malformed, even when the last one is the signed one", async () => {
  const signed = `t=${NOW_SEC - 100},${await header({})}`;
  expect(await verify(signed)).toEqual({ ok: false, reason: "malformed_header" });
  // stripe-node keeps the last t= and accepts: we refuse an ambiguous header instead.
  expect(await stripeNodeAccepts(signed)).toBe(true);
});

test("spaces after commas are not trimmed: ' v1=' is not a v1 signature", async () => {
  const signed = (await header({})).replace(",", ", ");
  expect(await verify(signed)).toEqual({ ok: false, reason: "no_v1_signature" });
  expect(await stripeNodeAccepts(signed)).toBe(false);
});

test("a non-UTF-8 body is verified over its raw bytes, never over decoded text", async () => {
  const body = new Uint8Array([0x7b, 0xff, 0xfe, 0x80, 0x7d]);
  const prefix = Buffer.from(`${NOW_SEC}.`);
  const overBytes = createHmac("sha256", SECRET).update(prefix).update(body).digest("hex");
  expect(await verify(`t=${NOW_SEC},v1=${overBytes}`, body)).toEqual({
    ok: true,
    timestamp: NOW_SEC,
  });
  // What stripe-node would sign: the bytes decoded to text (U+FFFD) and re-encoded.
  const overText = await header({ payload: new TextDecoder().decode(body) });
  expect(await verify(overText, body)).toEqual({ ok: false, reason: "no_matching_signature" });
});

test("a refusal carries its reason and nothing else: no signature, no secret", async () => {
  const result = await verify(await header({ secret: "whsec_someone_else" }));
  expect(Object.keys(result).sort()).toEqual(["ok", "reason"]);
});

test.each([
  ["no secret", []],
  ["an empty secret", [""]],
  ["a secret with a trailing newline", [`${SECRET}\n`]],
])("bad configuration (%s) throws without echoing the secret", async (_, secrets) => {
  const failure = verify(await header({}), PAYLOAD, { secrets });
  await expect(failure).rejects.toThrow(TypeError);
  await expect(failure).rejects.not.toThrow(SECRET);
});

test("a negative tolerance is a configuration error", async () => {
  await expect(verify(await header({}), PAYLOAD, { toleranceSec: -1 })).rejects.toThrow(TypeError);
});
