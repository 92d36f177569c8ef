// The configuration check behind `npm start`'s lines and `npm run doctor`: each function's own
// env validation (its deps.ts), run in Node on the variables it would get, before any request.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FUNCTIONS, type FunctionSpec } from "../../functions/registry.ts";
import { EnvError } from "../../shared/env/schema.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** One function's verdict: no problems means ready. */
export interface FunctionCheck {
  name: string;
  /** Variables it requires that are unset. */
  missing: string[];
  /** Every problem its validation reported, each naming its variable. */
  problems: string[];
}

/** `stripe-webhook` → the `stripeWebhookDeps` its deps.ts exports (the registry's convention). */
export async function depsOf(name: string): Promise<(env: object) => unknown> {
  const key = `${name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}Deps`;
  const module = (await import(`../../functions/${name}/deps.ts`)) as Record<string, unknown>;
  const deps = module[key];
  if (typeof deps !== "function") throw new Error(`functions/${name}/deps.ts exports no ${key}`);
  return deps as (env: object) => unknown;
}

/** Validates one function's configuration exactly as its first request would. */
export async function checkFunction(
  fn: FunctionSpec,
  vars: Record<string, string>,
): Promise<FunctionCheck> {
  const missing = fn.required.filter((name) => !vars[name]);
  try {
    // A fresh object each time: deps are memoised per env object.
    (await depsOf(fn.name))({ ...vars });
    return { name: fn.name, missing, problems: [] };
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    return { name: fn.name, missing, problems: error.problems };
  }
}

/** Every function of the registry, checked against `vars`. */
export function checkFunctions(vars: Record<string, string>): Promise<FunctionCheck[]> {
  return Promise.all(FUNCTIONS.map((fn) => checkFunction(fn, vars)));
}

/**
 * What each variable is for, from docs/configuration.md's tables (`| \`NAME\` | default | for |`):
 * the page a reader is sent to is also what `npm start` quotes, so the two cannot drift apart.
 */
export function documentedVariables(
  root = ROOT,
): Map<string, { default: string; purpose: string }> {
  const rows = new Map<string, { default: string; purpose: string }>();
  for (const line of readFileSync(`${root}/docs/configuration.md`, "utf8").split("\n")) {
    const cells = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|(.*)\|\s*$/.exec(line);
    if (cells)
      rows.set(cells[1]!, {
        default: cells[2]!.trim(),
        purpose: cells[3]!.trim().replaceAll("`", ""),
      });
  }
  return rows;
}

/** One line for `npm start`: ready, or what it lacks and what each is for. */
export function describeCheck(
  check: FunctionCheck,
  docs: ReadonlyMap<string, { purpose: string }>,
): string {
  if (check.problems.length === 0) return `ready`;
  // The purpose's first sentence: one line per function.
  const lacking = check.missing.map(
    (name) => `${name} (${docs.get(name)?.purpose.split(/(?<=\.) /)[0] ?? "undocumented"})`,
  );
  const other = check.problems.filter(
    (p) => !check.missing.some((name) => p === `${name} is missing`),
  );
  return `not ready: ${[...(lacking.length ? [`lacks ${lacking.join(", ")}`] : []), ...other].join("; ")}`;
}
