// functions/registry.ts is the one list everything derives from: it must say what the code does.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { depsOf } from "../../dev/local/check.ts";
import { EnvError } from "../../shared/env/schema.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import { otlpConfig } from "../../shared/telemetry/middleware.ts";
import { SAMPLES } from "./samples.ts";

const ENV_NAME = /^[A-Z][A-Z0-9_]*$/;

/**
 * Everything that reads a function's env: every `…Deps` its deps.ts exports (health's status
 * page has its own) and the root app's tracing, which every function has.
 */
async function envReadersOf(name: string): Promise<(env: object) => void> {
  const module = (await import(`../../functions/${name}/deps.ts`)) as Record<string, unknown>;
  const readers = Object.entries(module)
    .filter(([key]) => key.endsWith("Deps"))
    .map(([, build]) => build as (env: object) => unknown);
  return (env) => {
    for (const read of [...readers, otlpConfig]) read(env);
  };
}

test("function names are unique, and path prefixes belong to one function each", () => {
  expect(new Set(FUNCTIONS.map((fn) => fn.name)).size).toBe(FUNCTIONS.length);
  const paths = FUNCTIONS.flatMap((fn) => fn.paths);
  expect(new Set(paths).size).toBe(paths.length);
});

describe.each(FUNCTIONS)("$name", (fn) => {
  test("has its root app and one entry per platform", () => {
    for (const file of ["index.ts", "cloudflare.ts", "vercel.ts", "supabase.ts"]) {
      expect(existsSync(`functions/${fn.name}/${file}`), `functions/${fn.name}/${file}`).toBe(true);
    }
  });

  test("requires exactly the variables its code refuses to start without", async () => {
    const deps = await depsOf(fn.name);
    const problems = (() => {
      try {
        deps({});
        return [];
      } catch (error) {
        if (!(error instanceof EnvError)) throw error;
        return error.problems;
      }
    })();
    expect(problems.map((p) => p.replace(/ is missing$/, "")).sort()).toEqual(
      [...fn.required].sort(),
    );
  });

  test("declares every variable its code reads (Vercel passes it no other)", async () => {
    const missing = [...fn.required, ...fn.optional].filter((name) => !(name in SAMPLES));
    expect(missing, "add a sample value to test/build/samples.ts").toEqual([]);
    const read = new Set<string>();
    const env = new Proxy(
      {},
      {
        get(_target, name) {
          if (typeof name !== "string" || !ENV_NAME.test(name)) return undefined;
          read.add(name);
          return SAMPLES[name];
        },
      },
    );
    (await envReadersOf(fn.name))(env);
    expect([...read].sort()).toEqual([...fn.required, ...fn.optional].sort());
  });
});

test("docs/configuration.md's variables per function are the registry's", () => {
  const section = readFileSync("docs/configuration.md", "utf8").split("\n## Per function")[1]!;
  const rows = section
    .split("\n## ")[0]!
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [name, required, optional] = line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.replaceAll("`", "").trim());
      const names = (cell: string) => (cell ? cell.split(/,\s*/) : []);
      return { name, required: names(required!), optional: names(optional!) };
    });
  expect(rows).toEqual(
    FUNCTIONS.map((fn) => ({ name: fn.name, required: fn.required, optional: fn.optional })),
  );
});
