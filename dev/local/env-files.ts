import { existsSync, readFileSync } from "node:fs";
import { FUNCTIONS } from "../../functions/registry.ts";

/** Parses dotenv text: `KEY=value`, optional `export `, quotes, `#` comments. */
export function parseDotenv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replaceAll("\\n", "\n");
    } else {
      value = value.replace(/\s+#.*$/, "");
    }
    vars[match[1]!] = value;
  }
  return vars;
}

/**
 * Every variable some function declares in functions/registry.ts: a variable a new function
 * declares reaches the worker with no other edit, and nothing else of the environment does.
 */
export const CONFIG_VARS: ReadonlySet<string> = new Set(
  FUNCTIONS.flatMap((fn) => [...fn.required, ...fn.optional]),
);

/**
 * The worker's variables for `npm start`: `.env`, then `.dev.vars` over it, then the process
 * environment over both (so `OPENAI_BASE_URL=… npm start` wins over a file).
 */
export function loadLocalVars(dir: string, processEnv: NodeJS.ProcessEnv): Record<string, string> {
  const fromFile = (name: string) =>
    existsSync(`${dir}/${name}`) ? parseDotenv(readFileSync(`${dir}/${name}`, "utf8")) : {};
  const merged: Record<string, string> = { ...fromFile(".env"), ...fromFile(".dev.vars") };
  for (const [name, value] of Object.entries(processEnv)) {
    if (value !== undefined && CONFIG_VARS.has(name)) merged[name] = value;
  }
  return Object.fromEntries(Object.entries(merged).filter(([name]) => CONFIG_VARS.has(name)));
}
