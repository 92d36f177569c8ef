/**
 * Why an outbound URL was refused. Safe to show the caller: it names the rule, never the network.
 */
export type UnsafeUrlReason =
  | "invalid_url"
  | "scheme_not_allowed"
  | "credentials_in_url"
  | "non_canonical_ipv4"
  | "localhost_name"
  | "internal_name"
  | "single_label_name"
  | "unspecified_address"
  | "loopback_address"
  | "private_address"
  | "link_local_address"
  | "cgnat_address"
  | "multicast_address"
  | "reserved_address"
  | "ipv4_mapped_address"
  | "unique_local_address";

export type OutboundUrlCheck = { ok: true; url: URL } | { ok: false; reason: UnsafeUrlReason };

export interface OutboundUrlPolicy {
  /**
   * Local development and tests: admit `http:` and `https:` to 127.0.0.0/8 and ::1 (spelled
   * canonically). Every other rule still holds.
   */
  allowLoopback: boolean;
}

type Range = readonly [first: number, bits: number, reason: UnsafeUrlReason];

const v4 = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

// IPv4 blocks no webhook receiver lives in (RFC 6890's special-purpose registry).
const V4_RANGES: readonly Range[] = [
  [v4(0, 0, 0, 0), 8, "unspecified_address"],
  [v4(10, 0, 0, 0), 8, "private_address"],
  [v4(100, 64, 0, 0), 10, "cgnat_address"],
  [v4(127, 0, 0, 0), 8, "loopback_address"],
  [v4(169, 254, 0, 0), 16, "link_local_address"], // cloud metadata (169.254.169.254) included
  [v4(172, 16, 0, 0), 12, "private_address"],
  [v4(192, 0, 0, 0), 24, "reserved_address"],
  [v4(192, 0, 2, 0), 24, "reserved_address"],
  [v4(192, 168, 0, 0), 16, "private_address"],
  [v4(198, 18, 0, 0), 15, "reserved_address"],
  [v4(198, 51, 100, 0), 24, "reserved_address"],
  [v4(203, 0, 113, 0), 24, "reserved_address"],
  [v4(224, 0, 0, 0), 4, "multicast_address"],
  [v4(240, 0, 0, 0), 4, "reserved_address"], // 255.255.255.255 included
];

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function v4Reason(address: number): UnsafeUrlReason | undefined {
  for (const [first, bits, reason] of V4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === first) return reason;
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 literal as the URL parser writes it (compressed, no zone). */
function v6Groups(text: string): number[] {
  const [head = "", tail] = text.split("::");
  const part = (s: string) => (s === "" ? [] : s.split(":").map((g) => parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function v6Reason(groups: number[]): UnsafeUrlReason | undefined {
  const [g0 = 0, , , , , g5 = 0] = groups;
  const zeroThrough = (n: number) => groups.slice(0, n).every((g) => g === 0);
  if (groups.every((g) => g === 0)) return "unspecified_address";
  if (zeroThrough(7) && groups[7] === 1) return "loopback_address";
  // ::ffff:a.b.c.d and the deprecated ::a.b.c.d: an IPv4 address in IPv6 clothing.
  if (zeroThrough(5) && (g5 === 0xffff || g5 === 0)) return "ipv4_mapped_address";
  if ((g0 & 0xfe00) === 0xfc00) return "unique_local_address";
  if ((g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0) return "link_local_address";
  if ((g0 & 0xff00) === 0xff00) return "multicast_address";
  // NAT64 (64:ff9b::/96) reaches any IPv4 address, private ones included.
  if (g0 === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0)) {
    return "reserved_address";
  }
  return undefined;
}

/** The host exactly as written in `raw` (before the URL parser normalised it), lower-cased. */
function writtenHost(raw: string): string {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(raw.trim())?.[1] ?? "";
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  return hostAndPort.replace(/:\d*$/, "").toLowerCase();
}

/**
 * Whether an outbound request may go to `raw`: only `https:` (plus `http:` to loopback under
 * `allowLoopback`), no credentials, no name that resolves inside the network (`localhost`,
 * `*.localhost`, `*.internal`, `*.local`, single labels), and no literal address in a loopback,
 * private, link-local, CGNAT, multicast or reserved block, in IPv4 or IPv6 (mapped forms
 * included). IPv4 must be written as a plain dotted quad: decimal, octal, hex and shortened
 * spellings are refused as such, whatever they point to.
 *
 * Names are not resolved here (edge runtimes have no DNS API); a name that resolves to a private
 * address is the platform's fetch to refuse (Cloudflare's does) or the network's to block.
 */
export function checkOutboundUrl(raw: string, policy: OutboundUrlPolicy): OutboundUrlCheck {
  if (!URL.canParse(raw)) return { ok: false, reason: "invalid_url" };
  const url = new URL(raw);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    return { ok: false, reason: "scheme_not_allowed" };
  }
  if (url.username !== "" || url.password !== "")
    return { ok: false, reason: "credentials_in_url" };
  const host = url.hostname.replace(/\.$/, "");
  let reason: UnsafeUrlReason | undefined;
  if (host.startsWith("[")) {
    reason = v6Reason(v6Groups(host.slice(1, -1)));
  } else if (DOTTED_QUAD.test(host)) {
    if (writtenHost(raw).replace(/\.$/, "") !== host)
      return { ok: false, reason: "non_canonical_ipv4" };
    const [, a, b, c, d] = DOTTED_QUAD.exec(host)!.map(Number) as number[];
    reason = v4Reason(v4(a!, b!, c!, d!));
  } else if (host === "localhost" || host.endsWith(".localhost")) {
    reason = "localhost_name";
  } else if (host.endsWith(".internal") || host.endsWith(".local")) {
    reason = "internal_name";
  } else if (!host.includes(".")) {
    reason = "single_label_name";
  }
  if (reason === "loopback_address" && policy.allowLoopback) return { ok: true, url };
  if (reason) return { ok: false, reason };
  if (url.protocol !== "https:") return { ok: false, reason: "scheme_not_allowed" };
  return { ok: true, url };
}
