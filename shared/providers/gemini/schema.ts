// Gemini's function `parameters` take its Schema object, a subset of OpenAPI 3.0, and the API
// answers 400 ("Unknown name ...") for any other keyword. JSON Schema as OpenAI callers write it
// (pydantic, zod) is rewritten into that subset here.

type Json = Record<string, unknown>;

// The fields of v1beta `Schema` (google.ai.generativelanguage.v1beta.Schema) besides the ones
// rewritten below (type, format, enum, properties, items, anyOf).
const KEPT = new Set([
  "title",
  "description",
  "nullable",
  "default",
  "example",
  "required",
  "propertyOrdering",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "minProperties",
  "maxProperties",
  "minimum",
  "maximum",
]);

// The Gemini API refuses any other `format` (date, email, uri, uuid, ...).
const FORMATS = new Set(["enum", "date-time", "float", "double", "int32", "int64"]);

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A local `$ref` (`#/$defs/X`, `#/definitions/X`) looked up in the root schema. */
function lookup(root: Json, ref: unknown): Json | undefined {
  if (typeof ref !== "string" || !ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const key of ref.slice(2).split("/")) node = isObject(node) ? node[key] : undefined;
  return isObject(node) ? node : undefined;
}

function convert(schema: Json, root: Json, seen: ReadonlySet<unknown>): Json {
  // References are inlined (Gemini's subset has none); a cycle stops as an untyped schema.
  if (schema.$ref !== undefined) {
    const target = lookup(root, schema.$ref);
    if (!target || seen.has(target)) return {};
    const siblings: Json = { ...schema };
    delete siblings.$ref;
    return convert({ ...target, ...siblings }, root, new Set([...seen, target]));
  }
  // allOf (pydantic wraps a described $ref in one) is merged; the schema's own keywords win.
  const out: Json = Object.assign(
    {},
    ...(Array.isArray(schema.allOf) ? schema.allOf : [])
      .filter(isObject)
      .map((part) => convert(part, root, seen)),
  );
  for (const [key, value] of Object.entries(schema)) if (KEPT.has(key)) out[key] = value;
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter(
    (t): t is string => typeof t === "string",
  );
  // ["string", "null"] is OpenAPI's nullable string; several other types become an anyOf.
  if (types.includes("null")) out.nullable = true;
  const [only, ...more] = types.filter((t) => t !== "null");
  if (only !== undefined && more.length === 0) out.type = only.toUpperCase();
  const variants = [
    ...(Array.isArray(schema.anyOf) ? schema.anyOf : []),
    ...(Array.isArray(schema.oneOf) ? schema.oneOf : []),
    ...(more.length > 0 ? [only, ...more].map((type) => ({ type })) : []),
  ].filter(isObject);
  if (variants.length > 0) out.anyOf = variants.map((v) => convert(v, root, seen));
  if (typeof schema.format === "string" && FORMATS.has(schema.format)) out.format = schema.format;
  // Gemini's enum holds strings only; `const` is a one-value enum.
  const values = Array.isArray(schema.enum) ? schema.enum : "const" in schema ? [schema.const] : [];
  if (values.includes(null)) out.nullable = true;
  const kept = values.filter((v) => v !== null).map(String);
  if (kept.length > 0) out.enum = kept;
  if (isObject(schema.properties)) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties)
        .filter((entry): entry is [string, Json] => isObject(entry[1]))
        .map(([name, value]) => [name, convert(value, root, seen)]),
    );
  }
  if (isObject(schema.items)) out.items = convert(schema.items, root, seen);
  return out;
}

/**
 * A JSON Schema as Gemini's Schema: local `$ref`s inlined, `oneOf` read as `anyOf`, type arrays
 * as `nullable` (or an `anyOf`), `const` and non-string enums as string enums, and every keyword
 * Gemini refuses dropped (`$schema`, `additionalProperties`, `$defs`, `not`, `exclusiveMinimum`,
 * `multipleOf`, unsupported formats, ...), `allOf` merged. Dropping only loosens the schema:
 * the model may be asked less than the caller meant, never refused.
 */
export function toGeminiSchema(schema: unknown): Json {
  return isObject(schema) ? convert(schema, schema, new Set()) : {};
}
