/** One environment variable: how to read it, and whether it must be present. */
export interface Field<T> {
  readonly required: boolean;
  /** Turns the raw string into a value, or throws an Error whose message says what is wrong. */
  readonly parse: (raw: string) => T;
  optional(): Field<T | undefined>;
  default(value: T): Field<T>;
}

function field<T>(parse: (raw: string) => T, required = true, fallback?: T): Field<T> {
  return {
    required: required && fallback === undefined,
    parse,
    optional: () => field<T | undefined>(parse, false),
    default: (value: T) => field<T>(parse, false, value),
    ...(fallback === undefined ? {} : { fallback }),
  };
}

export const string = () => field((raw) => raw);

export const url = () =>
  field((raw) => {
    const parsed = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!parsed || !/^https?:$/.test(parsed.protocol)) throw new Error("is not an http(s) URL");
    return raw.replace(/\/+$/, "");
  });

/** Comma-separated, trimmed, empty items dropped (e.g. several secrets during a rotation). */
export const list = () =>
  field((raw) => {
    const items = raw
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
    if (items.length === 0) throw new Error("holds no values");
    return items;
  });

export const integer = (min: number, max: number) =>
  field((raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(`is not an integer from ${min} to ${max}`);
    }
    return value;
  });

export const oneOf = <const T extends string>(values: readonly T[]) =>
  field((raw) => {
    if (!values.includes(raw as T)) throw new Error(`is not one of ${values.join(", ")}`);
    return raw as T;
  });

/** JSON, checked by `validate`, which throws with what is wrong. */
export const json = <T>(validate: (value: unknown) => T) =>
  field((raw) => {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new Error("is not valid JSON");
    }
    return validate(value);
  });

// any: a schema mixes fields of different value types.
export type Schema = Record<string, Field<any>>;
export type EnvOf<S extends Schema> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** Thrown with every problem of the environment at once, each naming its variable. */
export class EnvError extends Error {
  override name = "EnvError";
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid environment: ${problems.join("; ")}`);
    this.problems = problems;
  }
}

export interface ParseOptions {
  /** Groups of variables that make sense only together (a URL and its token). */
  together?: readonly (readonly string[])[];
}

/** Reads and checks every variable of `schema` from `source`; throws one EnvError listing all problems. */
export function parseEnv<S extends Schema>(
  schema: S,
  source: object,
  options: ParseOptions = {},
): EnvOf<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const raw = source as Record<string, unknown>;
  for (const [name, spec] of Object.entries(schema)) {
    const value = raw[name];
    if (value === undefined || value === "") {
      if (spec.required) problems.push(`${name} is missing`);
      values[name] = (spec as { fallback?: unknown }).fallback;
    } else if (typeof value !== "string") {
      problems.push(`${name} must be a string variable`);
    } else {
      try {
        values[name] = spec.parse(value.trim());
      } catch (error) {
        problems.push(`${name} ${(error as Error).message}`);
      }
    }
  }
  for (const group of options.together ?? []) {
    const set = group.filter((name) => raw[name] !== undefined && raw[name] !== "");
    if (set.length > 0 && set.length < group.length) {
      const missing = group.filter((name) => !set.includes(name));
      problems.push(`${missing.join(", ")} must be set together with ${set.join(", ")}`);
    }
  }
  if (problems.length > 0) throw new EnvError(problems);
  return values as EnvOf<S>;
}
