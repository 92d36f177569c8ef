import { expect, test } from "vitest";
import {
  EnvError,
  integer,
  json,
  list,
  oneOf,
  parseEnv,
  string,
  url,
} from "../../../shared/env/schema.ts";

const schema = {
  SUPABASE_URL: url(),
  SUPABASE_SERVICE_ROLE_KEY: string(),
  STRIPE_WEBHOOK_SECRET: list().optional(),
  PORT: integer(1, 65535).default(8787),
  MODE: oneOf(["test", "live"]).default("test"),
  AI_ROUTES: json((v) => {
    if (typeof v !== "object" || v === null || Array.isArray(v))
      throw new Error("must be an object");
    return v as Record<string, string[]>;
  }).optional(),
};

function problems(source: Record<string, unknown>): string[] {
  try {
    parseEnv(schema, source, {
      together: [["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"]],
    });
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as EnvError).problems;
  }
  return [];
}

test("a valid environment parses to typed values with defaults", () => {
  const env = parseEnv(schema, {
    SUPABASE_URL: "https://x.supabase.co/",
    SUPABASE_SERVICE_ROLE_KEY: "key",
    STRIPE_WEBHOOK_SECRET: "whsec_a, whsec_b,",
  });
  expect(env).toEqual({
    SUPABASE_URL: "https://x.supabase.co",
    SUPABASE_SERVICE_ROLE_KEY: "key",
    STRIPE_WEBHOOK_SECRET: ["whsec_a", "whsec_b"],
    PORT: 8787,
    MODE: "test",
    AI_ROUTES: undefined,
  });
});

test("one error names every missing and malformed variable", () => {
  const found = problems({
    SUPABASE_URL: "ftp://nope",
    PORT: "99999",
    MODE: "prod",
    AI_ROUTES: "[1",
  });
  expect(found).toEqual([
    "SUPABASE_URL is not an http(s) URL",
    "SUPABASE_SERVICE_ROLE_KEY is missing",
    "PORT is not an integer from 1 to 65535",
    "MODE is not one of test, live",
    "AI_ROUTES is not valid JSON",
  ]);
});

test("the message of the error lists the problems", () => {
  expect(() => parseEnv(schema, {})).toThrow(
    "Invalid environment: SUPABASE_URL is missing; SUPABASE_SERVICE_ROLE_KEY is missing",
  );
});

test("an empty string counts as missing", () => {
  expect(problems({ SUPABASE_URL: "", SUPABASE_SERVICE_ROLE_KEY: "k" })).toEqual([
    "SUPABASE_URL is missing",
  ]);
});

test("a JSON validator's complaint names the variable", () => {
  const found = problems({
    SUPABASE_URL: "http://a",
    SUPABASE_SERVICE_ROLE_KEY: "k",
    AI_ROUTES: "[]",
  });
  expect(found).toEqual(["AI_ROUTES must be an object"]);
});

test("variables that belong together must be set together", () => {
  const found = problems({
    SUPABASE_URL: "http://a",
    SUPABASE_SERVICE_ROLE_KEY: "k",
    UPSTASH_REDIS_REST_URL: "http://r",
  });
  expect(found).toEqual([
    "UPSTASH_REDIS_REST_TOKEN must be set together with UPSTASH_REDIS_REST_URL",
  ]);
});

test("a non-string binding for a declared variable is refused", () => {
  const found = problems({ SUPABASE_URL: "http://a", SUPABASE_SERVICE_ROLE_KEY: { kv: true } });
  expect(found).toEqual(["SUPABASE_SERVICE_ROLE_KEY must be a string variable"]);
});
