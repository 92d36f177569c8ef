import { expect, test } from "vitest";
import { checkOutboundUrl } from "../../../shared/http/outbound-url.ts";
import { SSRF_CASES } from "./ssrf-cases.ts";

const strict = { allowLoopback: false };
const loopbackAllowed = { allowLoopback: true };
const reasonOf = (url: string, policy = strict) => {
  const check = checkOutboundUrl(url, policy);
  return check.ok ? "ok" : check.reason;
};

test.each(SSRF_CASES)("%s is refused: %s", (url, reason) => {
  expect(reasonOf(url)).toBe(reason);
});

test.each([
  "https://hooks.example.com/in?x=1",
  "https://hooks.example.com:8443/in",
  "https://8.8.8.8/in",
  "https://[2606:4700::1111]/in",
  "https://example.com./in",
])("%s is admitted", (url) => {
  const check = checkOutboundUrl(url, strict);
  expect(check.ok).toBe(true);
});

test("the loopback flag admits http and https to 127.0.0.0/8 and ::1, and nothing else", () => {
  expect(reasonOf("http://127.0.0.1:8080/in", loopbackAllowed)).toBe("ok");
  expect(reasonOf("https://127.0.0.2/in", loopbackAllowed)).toBe("ok");
  expect(reasonOf("http://[::1]:9000/in", loopbackAllowed)).toBe("ok");
  expect(reasonOf("http://localhost:8080/", loopbackAllowed)).toBe("localhost_name");
  expect(reasonOf("http://2130706433/", loopbackAllowed)).toBe("non_canonical_ipv4");
  expect(reasonOf("http://[::ffff:127.0.0.1]/", loopbackAllowed)).toBe("ipv4_mapped_address");
  expect(reasonOf("http://10.0.0.1/", loopbackAllowed)).toBe("private_address");
  expect(reasonOf("http://0.0.0.0/", loopbackAllowed)).toBe("unspecified_address");
  expect(reasonOf("http://hooks.example.com/", loopbackAllowed)).toBe("scheme_not_allowed");
  expect(reasonOf("http://u:p@127.0.0.1/", loopbackAllowed)).toBe("credentials_in_url");
});
