import { expect, test } from "vitest";
import { readBody } from "../../../shared/http/body.ts";

test("a body longer than its declared Content-Length is still refused past the limit", async () => {
  // Read in one call when a length is declared; where nothing holds the body to that length
  // (a runtime that does not frame it), the limit still applies.
  const request = new Request("http://fn.test/", {
    method: "POST",
    headers: { "content-length": "3" },
    body: "x".repeat(100),
  });
  await expect(readBody(request, 10)).rejects.toMatchObject({ status: 413 });
});

test("a body without a declared length is read whole when under the limit", async () => {
  const request = new Request("http://fn.test/", { method: "POST", body: "hello" });
  expect(new TextDecoder().decode(await readBody(request, 10))).toBe("hello");
});
