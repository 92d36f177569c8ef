import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { expect, test } from "vitest";
import { loadLocalVars, parseDotenv } from "../../dev/local/env-files.ts";
import { FUNCTIONS } from "../../functions/registry.ts";

test("dotenv text parses quotes, exports and comments", () => {
  const text = [
    "# comment",
    "export OPENAI_API_KEY=sk-abc # trailing",
    'AI_ROUTES=\'{"a":["openai:gpt"]}\'',
    'TWILIO_AUTH_TOKEN="two\\nlines"',
    "EMPTY=",
    "not a line",
  ].join("\n");
  expect(parseDotenv(text)).toEqual({
    OPENAI_API_KEY: "sk-abc",
    AI_ROUTES: '{"a":["openai:gpt"]}',
    TWILIO_AUTH_TOKEN: "two\nlines",
    EMPTY: "",
  });
});

test("the process environment wins over .dev.vars, which wins over .env", () => {
  const dir = mkdtempSync(`${tmpdir()}/bw-env-`);
  writeFileSync(`${dir}/.env`, "OPENAI_BASE_URL=http://env\nCRON_SECRET=from-env\n");
  writeFileSync(`${dir}/.dev.vars`, "OPENAI_BASE_URL=http://dev-vars\n");
  const vars = loadLocalVars(dir, { OPENAI_BASE_URL: "http://process", HOME: "/root" });
  expect(vars).toEqual({ OPENAI_BASE_URL: "http://process", CRON_SECRET: "from-env" });
});

test("only configuration variables reach the worker", () => {
  const dir = mkdtempSync(`${tmpdir()}/bw-env-`);
  const vars = loadLocalVars(dir, {
    PATH: "/bin",
    AWS_SECRET_ACCESS_KEY: "x",
    STRIPE_WEBHOOK_SECRET: "whsec_1",
  });
  expect(vars).toEqual({ STRIPE_WEBHOOK_SECRET: "whsec_1" });
});

test("every variable a function declares in the registry reaches the worker", () => {
  const dir = mkdtempSync(`${tmpdir()}/bw-env-`);
  const declared = FUNCTIONS.flatMap((fn) => [...fn.required, ...fn.optional]);
  const vars = loadLocalVars(dir, Object.fromEntries(declared.map((name) => [name, "set"])));
  expect(Object.keys(vars).sort()).toEqual([...new Set(declared)].sort());
  expect(vars.STATE_KEY_PREFIX).toBe("set");
});
