import { describe, expect, test } from "vitest";
import { hmacSha256Hex, utf8 } from "../../../shared/webhooks/hmac.ts";
import { verifyStripeSignature } from "../../../shared/webhooks/stripe-signature.ts";
import { publicUrl, verifyTwilioSignature } from "../../../shared/webhooks/twilio-signature.ts";

// The same checks as the Node unit tests, inside workerd (no nodejs_compat): the verifiers need
// nothing but WebCrypto. Expected values were computed with node:crypto and twilio-node.
describe("Stripe, in workerd", () => {
  const secret = "whsec_primary_0123456789abcdef";
  const t = 1_767_268_800;
  const body = utf8('{"id":"evt_1","object":"event","type":"invoice.paid"}');
  const v1 = "83380e627db25743d17de0950169b035237b8fe36943915f5c73fe2f198512f9";
  const verify = (header: string, bytes = body, now = t * 1000) =>
    verifyStripeSignature({ header, body: bytes, secrets: [secret], now });

  test("the published HMAC vector reproduces", async () => {
    expect(await hmacSha256Hex("test_secret", utf8(""))).toBe(
      "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd",
    );
  });

  test("a valid header verifies; a changed byte and a stale time do not", async () => {
    expect(await verify(`t=${t},v1=${v1}`)).toEqual({ ok: true, timestamp: t });
    const changed = utf8('{"id":"evt_2","object":"event","type":"invoice.paid"}');
    expect(await verify(`t=${t},v1=${v1}`, changed)).toMatchObject({ ok: false });
    expect(await verify(`t=${t},v1=${v1}`, body, (t + 301) * 1000)).toEqual({
      ok: false,
      reason: "timestamp_outside_tolerance",
    });
  });

  test("a non-UTF-8 body is verified over its raw bytes", async () => {
    const raw = new Uint8Array([0x7b, 0xff, 0xfe, 0x80, 0x7d]);
    const overBytes = "ce1a3502481e482967b5286337582316f45ec8505acfc1232e4afbe29f847745";
    expect(await verify(`t=${t},v1=${overBytes}`, raw)).toEqual({ ok: true, timestamp: t });
  });
});

describe("Twilio, in workerd", () => {
  const tokens = ["12345"];
  const url = "https://mycompany.com/myapp.php?foo=1&bar=2";
  const params = {
    CallSid: "CA1234567890ABCDE",
    Caller: "+14158675309",
    Digits: "1234",
    From: "+14158675309",
    To: "+18005551212",
  };

  test("the fixed vector verifies, with and without :443", async () => {
    const signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    expect(await verifyTwilioSignature({ signature, url, params, tokens })).toEqual({ ok: true });
    const withPort = url.replace(".com", ".com:443");
    expect(await verifyTwilioSignature({ signature, url: withPort, params, tokens })).toEqual({
      ok: true,
    });
  });

  test("a JSON body verifies against bodySHA256, and a tampered one does not", async () => {
    const hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    const input = { signature: "a9nBmqA0ju/hNViExpshrM61xv4=", url: `${url}&bodySHA256=${hash}` };
    const body = utf8('{"property": "value", "boolean": true}');
    expect(await verifyTwilioSignature({ ...input, params: [], body, tokens })).toEqual({
      ok: true,
    });
    const tampered = utf8('{"property": "value", "boolean": false}');
    expect(await verifyTwilioSignature({ ...input, params: [], body: tampered, tokens })).toEqual({
      ok: false,
      reason: "body_hash_mismatch",
    });
  });

  test("a raw ' that workerd's request.url reports as %27 still verifies", async () => {
    const request = new Request(`${url}&Body=It's+amazing`);
    const { pathname, search } = new URL(request.url);
    expect(search).toContain("It%27s"); // the runtime re-encoded what Twilio sent and signed
    const received = publicUrl("https://mycompany.com", pathname, search);
    const signature = "dsq4Ehbj6cs+KdTkpF5sSSplOWw="; // over the raw `'`
    expect(await verifyTwilioSignature({ signature, url: received, params, tokens })).toEqual({
      ok: true,
    });
  });
});
