import { secureCompare } from "../http/secure-compare.ts";
import { assertSigningKeys, hmacSha1Base64, sha256Hex } from "./hmac.ts";

/** Why an `X-Twilio-Signature` was refused. Safe to log and to return: it holds no secret. */
export type TwilioFailureReason =
  "missing_signature" | "bad_signature" | "body_hash_mismatch" | "missing_body_hash";

/** The outcome of {@link verifyTwilioSignature}. */
export type TwilioVerification = { ok: true } | { ok: false; reason: TwilioFailureReason };

/**
 * Every POST parameter as received (decoded): `[name, value]` pairs such as a `URLSearchParams`,
 * or a record whose repeated names hold arrays. Never a whitelist: Twilio adds parameters.
 */
export type TwilioParams =
  Iterable<readonly [string, string]> | Readonly<Record<string, string | readonly string[]>>;

export interface TwilioVerifyInput {
  /** The `X-Twilio-Signature` header as received (`null` when absent). */
  signature: string | null | undefined;
  /** The public URL Twilio requested, query included: build it with {@link publicUrl}. */
  url: string;
  /** The form parameters (none for a GET or a JSON request). */
  params: TwilioParams;
  /**
   * The raw body of an `application/json` request, and only then: Twilio does not sign it (nor
   * any parameters, so `params` is then ignored) but hashes it into the URL's `bodySHA256`.
   */
  body?: Uint8Array | undefined;
  /** The primary auth token, then the secondary one during a rotation. */
  tokens: readonly string[];
}

/**
 * The URL to verify against: the configured public base, the path, and the query exactly as
 * received (with or without its `?`). Nothing is re-encoded or re-sorted: Twilio signed the text.
 */
export function publicUrl(publicBaseUrl: string, path: string, rawQuery: string): string {
  const base = publicBaseUrl.replace(/\/+$/, "");
  const slash = path === "" || path.startsWith("/") ? "" : "/";
  const query = rawQuery === "" || rawQuery.startsWith("?") ? rawQuery : `?${rawQuery}`;
  return base + slash + path + query;
}

/**
 * Names sorted, then each name's distinct values sorted, each emitted as name + value: exactly
 * twilio-node's `toFormUrlEncodedParam` (a `Set`, then the default sort, i.e. UTF-16 code units),
 * so repeated names sign the same whatever order they arrived in.
 */
function signedParams(params: TwilioParams): string {
  const byName = new Map<string, Set<string>>();
  const add = (name: string, value: string) => {
    const values = byName.get(name) ?? new Set<string>();
    byName.set(name, values.add(value));
  };
  if (Symbol.iterator in params) {
    for (const [name, value] of params as Iterable<readonly [string, string]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(params)) {
      for (const one of typeof value === "string" ? [value] : value) add(name, one);
    }
  }
  let text = "";
  for (const name of [...byName.keys()].sort()) {
    for (const value of [...(byName.get(name) ?? [])].sort()) text += name + value;
  }
  return text;
}

const AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i;

/**
 * The URL without its port and with one (the scheme's default added when absent): twilio-node's
 * `removePort` / `addPort`, because Twilio's back ends differ on whether they sign the port. Like
 * it, any explicit port may be dropped, not only :443 / :80 (its spec accepts a port-less
 * signature at `:1234`); a signature still names our host and path, so this admits no forgery.
 */
function portVariants(url: string): string[] {
  const match = AUTHORITY.exec(url);
  if (!match) return [url];
  const [prefix, scheme = "", authority = ""] = match;
  const hostStart = authority.lastIndexOf("@") + 1;
  const hostAndPort = authority.slice(hostStart);
  // A colon only starts the port after the closing bracket of an IPv6 literal.
  const portStart = hostAndPort.indexOf(":", hostAndPort.lastIndexOf("]") + 1);
  const host = portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart);
  const defaultPort = scheme.toLowerCase() === "https://" ? ":443" : ":80";
  const port = portStart === -1 ? defaultPort : hostAndPort.slice(portStart);
  const head = scheme + authority.slice(0, hostStart) + host;
  const rest = url.slice(prefix.length);
  return [head + rest, head + port + rest];
}

/**
 * Every URL text Twilio may have signed, query never re-encoded beyond one character: a `'` in the
 * query is also tried as `%27` and a `%27` as `'`. Edge runtimes hand us `request.url` already
 * WHATWG-normalised, which writes a raw `'` in a query as `%27` (seen in workerd), while Twilio
 * signs the `'` it sent; and twilio-node accepts either spelling either way (its spec vector for
 * `Body=It's+amazing` is signed over `It%27s`). Both spellings name the same URL, so accepting
 * both lets no signature for another URL through.
 */
function candidateUrls(url: string): string[] {
  const queryStart = url.indexOf("?");
  const head = queryStart === -1 ? url : url.slice(0, queryStart);
  const query = queryStart === -1 ? "" : url.slice(queryStart);
  const forms = [url, head + query.replaceAll("'", "%27"), head + query.replace(/%27/gi, "'")];
  return [...new Set(forms.flatMap(portVariants))];
}

/** `bodySHA256` from the URL's query, or undefined when absent or empty. */
function bodyHashIn(url: string): string | undefined {
  const queryStart = url.indexOf("?");
  if (queryStart === -1) return undefined;
  const query = url.slice(queryStart + 1).split("#")[0] ?? "";
  return new URLSearchParams(query).get("bodySHA256") || undefined;
}

/**
 * Verifies `X-Twilio-Signature`: base64 HMAC-SHA1, keyed by an auth token, over the URL and then
 * the sorted parameters, compared in constant time. For a JSON body the signature covers the URL
 * alone and the body must hash (SHA-256, lower-case hex) to the URL's `bodySHA256`, as
 * twilio-node's `validateRequestWithBody`. Throws only on bad configuration (no token, a blank or
 * padded one).
 */
export async function verifyTwilioSignature(input: TwilioVerifyInput): Promise<TwilioVerification> {
  const { signature, url, tokens } = input;
  assertSigningKeys(tokens, "Twilio auth token");
  if (!signature) return { ok: false, reason: "missing_signature" };
  const bodyHash = input.body === undefined ? undefined : bodyHashIn(url);
  if (input.body !== undefined && bodyHash === undefined) {
    return { ok: false, reason: "missing_body_hash" };
  }
  const suffix = input.body === undefined ? signedParams(input.params) : "";

  let matched = false;
  for (const token of tokens) {
    for (const candidate of candidateUrls(url)) {
      // No early exit: every candidate is compared, whichever one matches.
      if (secureCompare(await hmacSha1Base64(token, candidate + suffix), signature)) matched = true;
    }
  }
  if (!matched) return { ok: false, reason: "bad_signature" };
  if (input.body !== undefined && !secureCompare(await sha256Hex(input.body), bodyHash ?? "")) {
    return { ok: false, reason: "body_hash_mismatch" };
  }
  return { ok: true };
}
