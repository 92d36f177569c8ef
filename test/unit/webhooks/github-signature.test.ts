import { createHmac } from "node:crypto";
import { expect, test } from "vitest";
import { verifyGithubSignature } from "../../../shared/webhooks/github-signature.ts";
import { utf8 } from "../../../shared/webhooks/hmac.ts";

// GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
const DOC_SECRET = "It's a Secret to Everybody";
const DOC_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const BODY = '{"action":"opened","number":1}';
const sign = (secret: string, body = BODY) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
const verify = (header: string | undefined, secrets = ["gh-secret"], body = BODY) =>
  verifyGithubSignature({ header, body: utf8(body), secrets });

test("GitHub's documented test vector verifies", async () => {
  expect(await verify(DOC_SIGNATURE, [DOC_SECRET], "Hello, World!")).toEqual({ ok: true });
});

test("any configured secret may match; another secret or body does not", async () => {
  expect(await verify(sign("old-secret"), ["gh-secret", "old-secret"])).toEqual({ ok: true });
  expect(await verify(sign("third"), ["gh-secret", "old-secret"])).toEqual({
    ok: false,
    reason: "no_matching_signature",
  });
  expect(await verify(sign("gh-secret", `${BODY}\n`))).toEqual({
    ok: false,
    reason: "no_matching_signature",
  });
});

test("a missing, SHA-1, upper-case or truncated signature is refused", async () => {
  expect(await verify(undefined)).toEqual({ ok: false, reason: "missing_signature" });
  const good = sign("gh-secret");
  for (const header of [good.replace("sha256=", "sha1="), good.toUpperCase(), good.slice(0, -1)]) {
    expect(await verify(header)).toEqual({ ok: false, reason: "malformed_signature" });
  }
});
