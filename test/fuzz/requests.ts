import fc from "fast-check";
import {
  deepValue,
  invalidUtf8,
  jsonText,
  nastyString,
  padTo,
  percentEncode,
  splice,
  utf8,
} from "./values.ts";

// The parts of a request every endpoint gets fuzzed with: method, path suffix, query string,
// headers, framing, and the generic body shapes around each endpoint's structured ones.

/**
 * Methods workerd hands to the worker. Others (`M-SEARCH`, `LINK`, lower-case `get`, any unknown
 * token) are answered 501 by workerd's HTTP parser before any worker code runs, and `CONNECT`
 * goes to a `connect()` handler (a socket API, not HTTP routing), so they test the runtime.
 */
const ODD_METHODS = [
  "PURGE",
  "TRACE",
  "COPY",
  "LOCK",
  "UNLOCK",
  "MKCOL",
  "MOVE",
  "PROPFIND",
  "PROPPATCH",
  "SEARCH",
  "ACL",
  "REPORT",
  "MKACTIVITY",
  "CHECKOUT",
  "MERGE",
  "NOTIFY",
  "SUBSCRIBE",
  "UNSUBSCRIBE",
  "QUERY",
];
const STANDARD_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

export function method(own: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 16, arbitrary: fc.constant(own) },
    { weight: 2, arbitrary: fc.constantFrom(...STANDARD_METHODS) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) },
  );
}

// workerd refuses some characters raw in a request target ("invalid URI", before the worker),
// and Node anything outside 0x21–0xFF: those are percent-encoded, the rest go raw.
const percent = (text: string) =>
  percentEncode(text, /[\x21-\x7e]/).replace(/["<>`]/g, (c) => percentEncode(c, /$^/));

/** What may follow an endpoint's path: a trailing slash, dot segments, odd encodings, … */
export const pathSuffix: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "/",
      "//",
      "/.",
      "/..",
      "/../..",
      "/%2e%2e",
      "/%2F",
      "%2F",
      ";",
      ";x=1",
      "%00",
      "/%00",
      "/%ZZ",
      "/%",
      "/x",
      "/index.html",
      "/../../health",
      "/../../v1/models",
      "/%E2%80%AE",
      "#frag",
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((s) => `/${percent(s)}`) },
);

/** A query string (without `?`): random pairs, odd escapes, repeated names, raw quotes. */
export const queryString: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constant("") },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(fc.string({ maxLength: 10 }), nastyString), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${percent(k)}=${percent(v.slice(0, 200))}`).join("&")),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "a=1&a=2",
      "a",
      "=",
      "&&&",
      "a=%ZZ",
      "%",
      "q=it's",
      "q=%27",
      "x=1;y=2",
      "bodySHA256=",
      "bodySHA256=abc",
      "debug=true&verbose=1",
      "a[b]=1&a[c]=2",
      "?",
      "+=+",
      "utf8=%E2%9C%93",
      "bad=%C0%80",
    ),
  },
);

/** Header names that change HTTP framing or the connection: fuzzed deliberately or not at all. */
const TRANSPORT = new Set([
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "te",
  "trailer",
  "proxy-connection",
  "http2-settings",
]);

const TOKEN_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
const headerName = fc
  .oneof(
    {
      weight: 3,
      arbitrary: fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 24 }),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "accept",
        "accept-encoding",
        "content-encoding",
        "cookie",
        "origin",
        "referer",
        "user-agent",
        "range",
        "if-none-match",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "forwarded",
        "cf-connecting-ip",
        "x-real-ip",
        "x-http-method-override",
        "i-twilio-idempotency-token",
        "stripe-signature",
        "x-twilio-signature",
        "authorization",
        "x-request-id",
        "content-type",
      ),
    },
  )
  .filter((name) => !TRANSPORT.has(name.toLowerCase()));

/**
 * A header value as Node can send it: no control characters, code points up to 0xFF, i.e. raw
 * bytes. Unicode text goes as its UTF-8 bytes (what a client sending UTF-8 puts on the wire).
 */
export const headerValue: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 40 }) },
    {
      weight: 2,
      arbitrary: nastyString.map((s) => Buffer.from(s, "utf8").toString("latin1")),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("gzip", "br, deflate", "identity", "*/*", "bytes=0-10", "\t x \t"),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 16_000 }).map((n) => "v".repeat(n)) },
  )
  .map((value) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, ""));

export const extraHeaders: fc.Arbitrary<[string, string][]> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<[string, string][]>([]) },
  { weight: 2, arbitrary: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }) },
);

/** `x-request-id` lines: none, a sane one (echoed), insane ones (replaced), two of them. */
export const requestIds: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string[]>([]) },
  {
    weight: 3,
    arbitrary: fc
      .string({
        unit: fc.constantFrom(..."abcXYZ019._:-"),
        minLength: 1,
        maxLength: 128,
      })
      .map((id) => [id]),
  },
  { weight: 2, arbitrary: headerValue.map((id) => [id]) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<string[][]>(
      ["a".repeat(129)],
      ["req 1"],
      [""],
      ["id-1", "id-2"],
      ["../../etc/passwd"],
      ["id\u00e9"],
    ),
  },
);

/**
 * Framing: honest mostly; chunked (no length to refuse early on, the limit must cut the stream);
 * a Content-Length lying low. fetch would refuse to lie; node:http sends what it is told.
 */
export const framing: fc.Arbitrary<"length" | "chunked" | "short"> = fc.oneof(
  { weight: 8, arbitrary: fc.constant("length" as const) },
  { weight: 2, arbitrary: fc.constant("chunked" as const) },
  { weight: 1, arbitrary: fc.constant("short" as const) },
);

/** A body, and the media type it naturally goes with. */
export interface Body {
  bytes: Uint8Array;
  natural: string;
}

/**
 * The generic body shapes around an endpoint's `structured` JSON value: empty, random bytes, not
 * UTF-8, wrong top-level types, deep nesting, truncated JSON, and huge (near and over `limit`).
 */
export function bodies(
  structured: fc.Arbitrary<unknown>,
  limit: number,
  natural = "application/json",
): fc.Arbitrary<Body> {
  const json = (arbitrary: fc.Arbitrary<Uint8Array>) =>
    arbitrary.map((bytes) => ({ bytes, natural }));
  return fc.oneof(
    { weight: 30, arbitrary: json(structured.map((v) => utf8(jsonText(v)))) },
    { weight: 2, arbitrary: json(structured.map((v) => utf8(`\uFEFF${jsonText(v, 2)}`))) },
    { weight: 3, arbitrary: json(fc.constant(new Uint8Array())) },
    { weight: 4, arbitrary: json(fc.uint8Array({ maxLength: 600 })) },
    {
      weight: 4,
      arbitrary: json(
        fc
          .tuple(structured, invalidUtf8, fc.double({ min: 0, max: 1, noNaN: true }))
          .map(([v, bad, at]) => splice(utf8(jsonText(v)), bad, at)),
      ),
    },
    { weight: 4, arbitrary: json(fc.jsonValue({ maxDepth: 2 }).map((v) => utf8(jsonText(v)))) },
    { weight: 3, arbitrary: json(deepValue.map((v) => utf8(jsonText(v)))) },
    {
      weight: 2,
      arbitrary: json(
        fc.tuple(structured, fc.double({ min: 0, max: 1, noNaN: true })).map(([v, at]) => {
          const text = utf8(jsonText(v));
          return text.subarray(0, Math.floor(text.length * at));
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: json(
        fc
          .tuple(structured, fc.constantFrom(-4096, -1, 0, 1, 4096, limit))
          .map(([v, delta]) => padTo(v, limit + delta)),
      ),
    },
  );
}

/** A content type related to `natural`, or not: params, case, duplicates, garbage, none. */
export type ContentType =
  { kind: "natural"; variant: number } | { kind: "lines"; values: string[] };

export const contentType: fc.Arbitrary<ContentType> = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: "natural" as const, variant: 0 }) },
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: 1, max: 7 })
      .map((variant) => ({ kind: "natural" as const, variant })),
  },
  {
    weight: 3,
    arbitrary: fc
      .array(
        fc.oneof(
          fc.constantFrom(
            "application/json",
            "application/x-www-form-urlencoded",
            "text/plain",
            "text/xml",
            "multipart/form-data; boundary=x",
            "application/jsonx",
            "application/json, text/plain",
            "application/*",
            "*/*",
            "",
            ";",
            "application/json; charset=utf-16",
          ),
          headerValue,
        ),
        { minLength: 0, maxLength: 2 },
      )
      .map((values) => ({ kind: "lines" as const, values })),
  },
);

/** The content-type header lines a {@link ContentType} stands for. */
export function contentTypeLines(type: ContentType, natural: string): string[] {
  if (type.kind === "lines") return type.values;
  const variants = [
    natural,
    `${natural}; charset=utf-8`,
    natural.toUpperCase(),
    ` ${natural} `,
    `${natural};`,
    `${natural}; charset="UTF-8"; x=y`,
    `${natural}\t;\tcharset=latin1`,
    // Twice: the worker sees both values joined with ", ".
    natural,
  ];
  const value = variants[type.variant] ?? natural;
  return type.variant === 7 ? [value, value] : [value];
}
