import { Webhook } from "standardwebhooks";
import { expect, test } from "vitest";
import { utf8 } from "../../../shared/webhooks/hmac.ts";
import {
  newStandardSecret,
  signStandardWebhook,
  verifyStandardWebhook,
} from "../../../shared/webhooks/standard-signature.ts";

// Oracle: the official `standardwebhooks` library signs what we verify and verifies what we sign.
const SECRET = newStandardSecret();
const OLD_SECRET = newStandardSecret();
const BODY = JSON.stringify({ type: "invoice.paid", timestamp: "2026-12-07T08:00:00Z", data: {} });
const nowSec = () => Math.floor(Date.now() / 1000);

function oracleHeaders(options: { secret?: string; id?: string; timestamp?: number } = {}) {
  const id = options.id ?? "msg_2b3c";
  const timestamp = options.timestamp ?? nowSec();
  const signature = new Webhook(options.secret ?? SECRET).sign(
    id,
    new Date(timestamp * 1000),
    BODY,
  );
  return { id, timestamp: String(timestamp), signature };
}

const verify = (headers: ReturnType<typeof oracleHeaders>, secrets = [SECRET], body = BODY) =>
  verifyStandardWebhook({ headers, body: utf8(body), secrets });

test("a new secret is whsec_ and the base64 of 32 random bytes, and the oracle accepts it", () => {
  expect(SECRET).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  expect(atob(SECRET.slice(6))).toHaveLength(32);
  expect(SECRET).not.toBe(OLD_SECRET);
  expect(() => new Webhook(SECRET)).not.toThrow();
});

test("what we sign, the oracle verifies, with each secret of a rotation", async () => {
  const timestamp = nowSec();
  const signature = await signStandardWebhook({
    id: "msg_1",
    timestamp,
    body: utf8(BODY),
    secrets: [SECRET, OLD_SECRET],
  });
  expect(signature.split(" ")).toHaveLength(2);
  const headers = {
    "webhook-id": "msg_1",
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signature,
  };
  for (const secret of [SECRET, OLD_SECRET]) {
    expect(new Webhook(secret).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  }
  expect(() => new Webhook(newStandardSecret()).verify(BODY, headers)).toThrow(/signature/);
});

test("what the oracle signs, we verify", async () => {
  expect(await verify(oracleHeaders())).toEqual({ ok: true, timestamp: expect.any(Number) });
});

test("any configured secret may match (our own rotation window)", async () => {
  expect((await verify(oracleHeaders({ secret: OLD_SECRET }), [SECRET, OLD_SECRET])).ok).toBe(true);
  expect(
    await verify(oracleHeaders({ secret: newStandardSecret() }), [SECRET, OLD_SECRET]),
  ).toEqual({
    ok: false,
    reason: "no_matching_signature",
  });
});

test("one good v1 among several signatures is enough; other versions never count", async () => {
  const headers = oracleHeaders();
  const good = headers.signature;
  expect((await verify({ ...headers, signature: `v1,AAAA ${good}` })).ok).toBe(true);
  expect(await verify({ ...headers, signature: good.replace("v1,", "v1a,") })).toEqual({
    ok: false,
    reason: "no_v1_signature",
  });
});

test("a changed body, id or timestamp does not verify", async () => {
  const headers = oracleHeaders();
  const refused = { ok: false, reason: "no_matching_signature" };
  expect(await verify(headers, [SECRET], `${BODY} `)).toEqual(refused);
  expect(await verify({ ...headers, id: "msg_other" })).toEqual(refused);
  expect(await verify({ ...headers, timestamp: String(Number(headers.timestamp) + 1) })).toEqual(
    refused,
  );
});

test("missing headers and a non-canonical timestamp are refused before any HMAC", async () => {
  const headers = oracleHeaders();
  expect(await verify({ ...headers, signature: "" })).toEqual({
    ok: false,
    reason: "missing_headers",
  });
  expect(await verify({ ...headers, id: "" })).toEqual({ ok: false, reason: "missing_headers" });
  expect(await verify({ ...headers, timestamp: `0${headers.timestamp}` })).toEqual({
    ok: false,
    reason: "malformed_timestamp",
  });
});

test("a timestamp more than five minutes away, past or future, is refused", async () => {
  for (const offset of [-301, 301]) {
    expect(await verify(oracleHeaders({ timestamp: nowSec() + offset }))).toEqual({
      ok: false,
      reason: "timestamp_outside_tolerance",
    });
  }
  expect((await verify(oracleHeaders({ timestamp: nowSec() - 290 }))).ok).toBe(true);
});

test("a secret that is not base64 is a configuration error, not a refusal", async () => {
  await expect(verify(oracleHeaders(), ["whsec_not base64!"])).rejects.toThrow(TypeError);
  await expect(verify(oracleHeaders(), [])).rejects.toThrow(TypeError);
});
