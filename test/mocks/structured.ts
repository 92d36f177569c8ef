// What the mock vendors answer when asked for JSON: a value that fits the schema, so that a
// client parsing the answer against its schema (the AI SDK's generateObject) accepts it.

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
};

/** A value of `schema`'s shape: strings "Paris", numbers 1, booleans true, one item per array. */
export function sampleOf(schema: Schema | undefined): unknown {
  if (!schema) return {};
  if (schema.enum?.length) return schema.enum[0];
  if (schema.anyOf?.length) return sampleOf(schema.anyOf[0]);
  const type = [schema.type]
    .flat()
    .find((t) => t !== "null")
    ?.toLowerCase();
  if (type === "string") return "Paris";
  if (type === "number" || type === "integer") return 1;
  if (type === "boolean") return true;
  if (type === "array") return [sampleOf(schema.items)];
  return Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, value]) => [name, sampleOf(value)]),
  );
}
