// The docs say what the code does, where a machine can tell: every variable with its default,
// every link, every script, and nothing that points outside the repository.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, test, vi } from "vitest";
import { depsOf, documentedVariables } from "../../dev/local/check.ts";
import { FUNCTIONS } from "../../functions/registry.ts";
import type { Schema } from "../../shared/env/schema.ts";
import { PROVIDERS } from "../../shared/providers/index.ts";
import { SAMPLES } from "./samples.ts";

// Every schema a function validates its environment with, as its deps.ts hands it to parseEnv.
const schemas = vi.hoisted(() => [] as Schema[]);
vi.mock("../../shared/env/schema.ts", async (original) => {
  const actual = await original<typeof import("../../shared/env/schema.ts")>();
  return {
    ...actual,
    parseEnv: (...args: Parameters<typeof actual.parseEnv>) => {
      schemas.push(args[0]);
      return actual.parseEnv(...args);
    },
  };
});

/** The schemas `name`'s deps.ts validates with (a fresh env object: deps are built per env). */
async function schemasOf(name: string): Promise<Schema[]> {
  schemas.length = 0;
  (await depsOf(name))({ ...SAMPLES });
  return [...schemas];
}

const ROOT = process.cwd();
/** Every file of the repository, committed or not yet (ignored files left out). */
const FILES = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  encoding: "utf8",
})
  .split("\n")
  .filter((file) => file && existsSync(file) && file !== "package-lock.json");
const MARKDOWN = FILES.filter((file) => file.endsWith(".md"));
const TEXT = FILES.filter((file) => /\.(ts|js|json|md|sql|toml|sh|yml|yaml)$|^\.ci\//.test(file));

const documented = documentedVariables(ROOT);
const declared = new Set(FUNCTIONS.flatMap((fn) => [...fn.required, ...fn.optional]));
/** What the local tooling reads from its own environment (`process.env.NAME`). */
const toolingVars = new Set(
  FILES.filter((file) => /^(dev|bench)\/.*\.ts$/.test(file)).flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]!),
  ),
);

describe("docs/configuration.md", () => {
  test.each(FUNCTIONS)("$name validates only variables its registry entry declares", async (fn) => {
    const found = await schemasOf(fn.name);
    expect(found.length).toBeGreaterThan(0);
    const keys = new Set(found.flatMap((schema) => Object.keys(schema)));
    const own = new Set([...fn.required, ...fn.optional]);
    expect([...keys].filter((name) => !own.has(name))).toEqual([]);
  });

  test("lists every variable a function declares, with the default its code applies", async () => {
    const fallbacks = new Map<string, string>();
    for (const fn of FUNCTIONS) {
      for (const schema of await schemasOf(fn.name)) {
        for (const [name, field] of Object.entries(schema)) {
          const fallback = (field as { fallback?: unknown }).fallback;
          if (fallback !== undefined) fallbacks.set(name, String(fallback));
        }
      }
    }
    expect(fallbacks.size).toBeGreaterThan(0);
    const baseUrls = new Map([...PROVIDERS.values()].map((p) => [p.baseUrlVar, p.defaultBaseUrl]));
    const required = new Set(FUNCTIONS.flatMap((fn) => fn.required));
    for (const name of declared) {
      const row = documented.get(name);
      expect(row, `${name} has no row in docs/configuration.md`).toBeDefined();
      const fallback = fallbacks.get(name) ?? baseUrls.get(name);
      const expected = required.has(name)
        ? "required"
        : fallback !== undefined
          ? `\`${fallback}\``
          : "none";
      expect(row!.default, `the default of ${name}`).toBe(expected);
      expect(row!.purpose.length, `what ${name} is for`).toBeGreaterThan(10);
    }
  });

  test("lists every variable the local tooling reads, and nothing else", () => {
    expect(toolingVars.has("PORT")).toBe(true);
    for (const name of toolingVars) expect(documented.has(name), name).toBe(true);
    const stale = [...documented.keys()].filter((n) => !declared.has(n) && !toolingVars.has(n));
    expect(stale, "documented, but nothing reads it").toEqual([]);
  });

  test("documents each variable once", () => {
    const text = readFileSync("docs/configuration.md", "utf8");
    const rows = [...text.matchAll(/^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/gm)].map((m) => m[1]!);
    expect(rows.length).toBe(documented.size);
  });
});

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = !fenced && /^#{1,6}\s+(.+)$/.exec(line);
    if (heading) {
      found.add(
        heading[1]!
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, "")
          .replace(/\s/g, "-"),
      );
    }
  }
  return found;
}

/** Markdown outside code fences and code spans: what renders as prose and links. */
const prose = (markdown: string) => markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`]*`/g, "");

describe("every Markdown file", () => {
  test("there are the pages the README maps", () => {
    expect(MARKDOWN).toContain("docs/configuration.md");
    expect(MARKDOWN.length).toBeGreaterThan(10);
  });

  test.each(MARKDOWN)("%s: every relative link resolves, anchors included", (file) => {
    const text = readFileSync(file, "utf8");
    for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split("#") as [string, string | undefined];
      const resolved = path ? normalize(join(dirname(file), path)) : file;
      expect(
        relative(ROOT, join(ROOT, resolved)).startsWith(".."),
        `${target} leaves the repository`,
      ).toBe(false);
      expect(existsSync(resolved), `${file} links ${target}`).toBe(true);
      if (anchor && resolved.endsWith(".md")) {
        expect([...anchors(readFileSync(resolved, "utf8"))], `${file} links ${target}`).toContain(
          anchor,
        );
      }
    }
  });

  test.each(MARKDOWN)("%s: every `npm run` script it names exists", (file) => {
    const scripts = Object.keys(JSON.parse(readFileSync("package.json", "utf8")).scripts);
    for (const [, script] of readFileSync(file, "utf8").matchAll(/npm run ([a-z][\w:-]*)/g)) {
      expect(scripts, `${file} names npm run ${script}`).toContain(script);
    }
  });
});

// Written by `npm run build` into .breakwater/build (ignored), so never in a checkout.
const GENERATED = new Set(["sizes.md"]);

test("no file refers to a document outside the repository", () => {
  const outside: string[] = [];
  for (const file of TEXT) {
    const text = readFileSync(file, "utf8");
    for (const [token] of text.matchAll(/[\w./-]*[\w-]\.md\b/g)) {
      const path = token.replace(/^\/+/, "");
      const found = [join(dirname(file), path), path].some((p) => existsSync(p));
      if (!found && !path.startsWith(".breakwater/") && !GENERATED.has(path.split("/").pop()!))
        outside.push(`${file}: ${token}`);
    }
    for (const [token] of text.matchAll(/(?:\.\.\/)+[\w@.-]+/g)) {
      if (relative(ROOT, join(ROOT, dirname(file), token)).startsWith(".."))
        outside.push(`${file}: ${token}`);
    }
  }
  expect(outside).toEqual([]);
});
