import { expect, test } from "vitest";
import { checkOutboundUrl } from "../../../shared/http/outbound-url.ts";

const strict = { allowLoopback: false };
const loopbackAllowed = { allowLoopback: true };
const reasonOf = (url: string, policy = strict) => {
  const check = checkOutboundUrl(url, policy);
  return check.ok ? "ok" : check.reason;
};

test.each([
  ["http://hooks.example.com/in", "scheme_not_allowed"],
  ["ftp://hooks.example.com/in", "scheme_not_allowed"],
  ["javascript:alert(1)", "scheme_not_allowed"],
  ["not a url", "invalid_url"],
  ["https://user:pw@hooks.example.com/", "credentials_in_url"],
  ["https://user@hooks.example.com/", "credentials_in_url"],
  ["https://127.0.0.1/", "loopback_address"],
  ["https://127.255.1.2/", "loopback_address"],
  ["https://10.0.0.1/", "private_address"],
  ["https://172.16.5.4/", "private_address"],
  ["https://172.31.255.255/", "private_address"],
  ["https://192.168.1.1/", "private_address"],
  ["https://169.254.169.254/latest/meta-data/", "link_local_address"],
  ["https://100.64.0.1/", "cgnat_address"],
  ["https://100.127.255.254/", "cgnat_address"],
  ["https://224.0.0.1/", "multicast_address"],
  ["https://239.255.255.250/", "multicast_address"],
  ["https://0.0.0.0/", "unspecified_address"],
  ["https://255.255.255.255/", "reserved_address"],
  ["https://198.18.0.1/", "reserved_address"],
  ["https://2130706433/", "non_canonical_ipv4"],
  ["https://0x7f000001/", "non_canonical_ipv4"],
  ["https://0x7f.0.0.1/", "non_canonical_ipv4"],
  ["https://0177.0.0.1/", "non_canonical_ipv4"],
  ["https://017700000001/", "non_canonical_ipv4"],
  ["https://127.1/", "non_canonical_ipv4"],
  ["https://%31%32%37.0.0.1/", "non_canonical_ipv4"],
  ["https://0xa9.0xfe.0xa9.0xfe/", "non_canonical_ipv4"],
  ["https://[::1]/", "loopback_address"],
  ["https://[0:0:0:0:0:0:0:1]/", "loopback_address"],
  ["https://[::]/", "unspecified_address"],
  ["https://[::ffff:127.0.0.1]/", "ipv4_mapped_address"],
  ["https://[::ffff:a9fe:a9fe]/", "ipv4_mapped_address"],
  ["https://[::ffff:8.8.8.8]/", "ipv4_mapped_address"],
  ["https://[::127.0.0.1]/", "ipv4_mapped_address"],
  ["https://[fc00::1]/", "unique_local_address"],
  ["https://[fd12:3456::1]/", "unique_local_address"],
  ["https://[fe80::1]/", "link_local_address"],
  ["https://[febf::1]/", "link_local_address"],
  ["https://[ff02::1]/", "multicast_address"],
  ["https://[64:ff9b::a9fe:a9fe]/", "reserved_address"],
  ["https://localhost/", "localhost_name"],
  ["https://LOCALHOST./", "localhost_name"],
  ["https://api.localhost/", "localhost_name"],
  ["https://metadata.google.internal/", "internal_name"],
  ["https://printer.local/", "internal_name"],
  ["https://intranet/", "single_label_name"],
])("%s is refused: %s", (url, reason) => {
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
