import fc from "fast-check";

// Building blocks for request bodies: strings and numbers that stress parsers, "wrong type"
// values for any field, JSON text that JSON.stringify alone cannot write (number literals out of
// double range, 10k-level nesting, absent fields), bytes that are not UTF-8.

/** Strings that have broken parsers, databases and loggers before. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  // Any code point, lone surrogates included (JSON.stringify writes those as \udXXX escapes).
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\u0000",
      "a\u0000b",
      "\uFEFF",
      "\u202Eevil",
      "\uD800",
      "\uDFFF\uD800",
      "💥🦄",
      "e\u0301",
      "ＡＢＣ",
      "null",
      "true",
      "0",
      "-1",
      "1e309",
      "NaN",
      "__proto__",
      "constructor",
      "toString",
      "<script>alert(1)</script>",
      "'; drop table webhook_events; --",
      "%00%ff",
      "\r\nX-Injected: 1",
      "\\u0000",
      "${jndi:ldap://x}",
      "{{7*7}}",
    ),
  },
  // Long, but cheap to build: a short string repeated.
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.integer({ min: 100, max: 20_000 }))
      .map(([s, n]) => s.repeat(n)),
  },
);

const MARK = "\u0001";
/** Removed from its object by {@link jsonText} (null in an array): a field that is not sent. */
export const ABSENT = `${MARK}ABSENT${MARK}`;
/** A number written as this literal text (`1e400`, `-0`, `1.0`, 30 digits…). */
const numberLiteral = (text: string) => `${MARK}NUM:${text}${MARK}`;
/** `depth` levels of arrays or objects, written by {@link jsonText}. */
const nested = (shape: "array" | "object", depth: number) => `${MARK}DEEP:${shape}:${depth}${MARK}`;

export const oddNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -1, 0.5, 1e-7, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 1e21, 1e308),
  fc
    .constantFrom("1e400", "-1e400", "-0", "1.0", "1E2", "123456789012345678901234567890")
    .map(numberLiteral),
);

/** Deep nesting, up to 10k levels (and some beyond), where a field's value belongs. */
export const deepValue: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom("array", "object") as fc.Arbitrary<"array" | "object">,
    fc.constantFrom(64, 1_000, 10_000, 50_000),
  )
  .map(([shape, depth]) => nested(shape, depth));

/**
 * Numbers for a field a mock provider turns into an array length (`n` of images, Gemini's
 * embedding `dimensions`): the mocks run in this process and would try to allocate 2^31 elements,
 * where a real provider refuses the request. Outside that range the odd values stay.
 */
export const lengthSafeNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: -5, max: 20 }),
  fc.double({ min: -10, max: 10, noNaN: true }),
  fc.constantFrom(2 ** 53 + 2, 2 ** 63, 1e21, 1e308, -(2 ** 63)),
  fc
    .constantFrom("1e400", "-1e400", "-0", "1.0", "123456789012345678901234567890")
    .map(numberLiteral),
);

/** A value of the wrong type for whatever field it lands in. */
export const wrongType: fc.Arbitrary<unknown> = wrongTypeWith(oddNumber);

/** {@link wrongType} whose numbers come from `numbers`. */
export function wrongTypeWith(numbers: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(null, true, false, {}, [], "", 0) },
    { weight: 3, arbitrary: numbers },
    { weight: 3, arbitrary: nastyString },
    { weight: 2, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }) },
    {
      weight: 2,
      arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), {
        maxKeys: 3,
      }),
    },
    { weight: 1, arbitrary: deepValue },
    { weight: 1, arbitrary: fc.constant(ABSENT) },
  );
}

/** Mostly a valid value, sometimes a wrong one (from `wrong`), sometimes absent. */
export function field<T>(
  valid: fc.Arbitrary<T>,
  validWeight = 8,
  wrong: fc.Arbitrary<unknown> = wrongType,
): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: validWeight, arbitrary: valid },
    { weight: 1, arbitrary: wrong },
    { weight: 1, arbitrary: fc.constant(ABSENT) },
  );
}

function deepText(shape: string, depth: number): string {
  return shape === "array"
    ? "[".repeat(depth) + "]".repeat(depth)
    : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

const MARKER = /"\\u0001(NUM|DEEP):([^"\\]*)\\u0001"/g;

/** `value` as JSON text, with the markers above turned into what they stand for. */
export function jsonText(value: unknown, space?: number): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v === ABSENT ? undefined : v), space);
  if (text === undefined) return "";
  return text.replace(MARKER, (_match, kind: string, spec: string) => {
    if (kind === "NUM") return spec;
    const [shape = "array", depth = "1"] = spec.split(":");
    return deepText(shape, Number(depth));
  });
}

const encoder = new TextEncoder();
export const utf8 = (text: string): Uint8Array => encoder.encode(text);

/**
 * Percent-encodes the UTF-8 of `text` except `keep`'s characters. Unlike encodeURIComponent it
 * never throws: a lone surrogate goes as U+FFFD, as TextEncoder writes it.
 */
export function percentEncode(text: string, keep = /[A-Za-z0-9\-_.~]/): string {
  let out = "";
  for (const byte of utf8(text)) {
    const char = String.fromCharCode(byte);
    out +=
      byte < 0x80 && keep.test(char)
        ? char
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Byte sequences no UTF-8 decoder may accept. */
export const invalidUtf8: fc.Arbitrary<Uint8Array> = fc
  .constantFrom(
    [0xff],
    [0xfe, 0xff],
    [0xc0, 0x80], // overlong NUL
    [0xed, 0xa0, 0x80], // an encoded surrogate
    [0xe2, 0x82], // truncated sequence
    [0xf4, 0x90, 0x80, 0x80], // beyond U+10FFFF
    [0x80],
  )
  .map((b) => Uint8Array.from(b));

/** `bytes` with `insert` spliced in at a fraction `at` of its length. */
export function splice(bytes: Uint8Array, insert: Uint8Array, at: number): Uint8Array {
  const index = Math.min(bytes.length, Math.floor(bytes.length * at));
  const out = new Uint8Array(bytes.length + insert.length);
  out.set(bytes.subarray(0, index), 0);
  out.set(insert, index);
  out.set(bytes.subarray(index), index + insert.length);
  return out;
}

/**
 * `value` serialised and padded (inside a `"pad"` field, with two-byte characters so characters
 * and bytes differ) to exactly `size` bytes when it fits; a body near or over a size limit.
 */
export function padTo(value: unknown, size: number): Uint8Array {
  const holder =
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? { ...(value as object), pad: "" }
      : { value, pad: "" };
  const base = utf8(jsonText(holder)).length;
  const missing = Math.max(0, size - base);
  const pad = "é".repeat(Math.floor(missing / 2)) + "e".repeat(missing % 2);
  return utf8(jsonText({ ...holder, pad }));
}

/**
 * `value` with its `index`-th node (any depth, counted modulo the number of nodes) replaced by
 * `replacement`: a request valid in every respect but one.
 */
export function mutateAt(value: unknown, index: number, replacement: unknown): unknown {
  const paths: string[][] = [];
  const walk = (node: unknown, path: string[]) => {
    if (typeof node !== "object" || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      paths.push([...path, key]);
      walk(child, [...path, key]);
    }
  };
  walk(value, []);
  const path = paths[index % Math.max(1, paths.length)];
  if (!path) return replacement;
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  // defineProperty: a key named __proto__ is a field like any other, not the prototype.
  Object.defineProperty(parent, path.at(-1)!, {
    value: replacement,
    enumerable: true,
    writable: true,
    configurable: true,
  });
  return copy;
}

/** How many wrong fields a generated request has: none, exactly one, or many. */
export const STRICT = 1_000;
export const LOOSE = 5;

/**
 * Requests from `build` (given how strongly each field prefers a valid value): all valid (so
 * the handlers past validation get real work), valid but for one node anywhere in the tree, and
 * many fields wrong at once.
 */
export function tiered(
  build: (validWeight: number) => fc.Arbitrary<unknown>,
): fc.Arbitrary<unknown> {
  const mutation = fc.oneof(
    { weight: 4, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(ABSENT) },
  );
  return fc.oneof(
    { weight: 3, arbitrary: build(STRICT) },
    {
      weight: 4,
      arbitrary: fc
        .tuple(build(STRICT), fc.nat(), mutation)
        .map(([value, index, wrong]) => mutateAt(value, index, wrong)),
    },
    { weight: 2, arbitrary: build(LOOSE) },
  );
}
