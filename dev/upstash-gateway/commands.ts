import { scriptSha } from "./lua.ts";
import type { Arg, CommandArgs, RewrittenScript, ScriptRegistry } from "./scripts.ts";

/** A command ready for Redis, and how to turn Redis's reply into the client's. */
export interface Prepared {
  args: CommandArgs;
  /** For EVALSHA of a rewritten script: what to load again when Redis answers NOSCRIPT. */
  script?: RewrittenScript;
  /** Rewrites a successful reply (SCRIPT LOAD must answer the client's SHA, not Redis's). */
  reply?: (reply: unknown) => unknown;
}

/**
 * Commands that would change or hold the state of the one Redis connection every request
 * shares. Refused the way Upstash refuses what it does not support; transactions go through
 * /multi-exec instead.
 */
const REFUSED = new Set([
  ...["AUTH", "HELLO", "QUIT", "RESET", "SELECT", "MONITOR"],
  ...["MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH"],
  ...["SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE"],
]);

type Translator = (args: CommandArgs, scripts: ScriptRegistry) => Prepared;

function adapt(script: Arg, scripts: ScriptRegistry): Arg {
  const text = String(script);
  const adapted = scripts.adapt(text);
  // Unchanged scripts go out as they came, bytes included.
  return adapted === text ? script : adapted;
}

const withScript: Translator = (args, scripts) => {
  const [name, script, ...rest] = args;
  return script === undefined ? { args } : { args: [name, adapt(script, scripts), ...rest] };
};

const withSha: Translator = (args, scripts) => {
  const [name, sha, ...rest] = args;
  const script = sha === undefined ? undefined : scripts.lookup(sha);
  return script ? { args: [name, script.redisSha, ...rest], script } : { args };
};

const scriptSubcommand: Translator = (args, scripts) => {
  const [name, sub, ...rest] = args;
  if (sub === undefined) return { args };
  const subcommand = String(sub).toUpperCase();
  const [script, ...extra] = rest;
  if (subcommand === "LOAD" && script !== undefined && extra.length === 0) {
    const adapted = adapt(script, scripts);
    const clientSha = Buffer.from(scriptSha(String(script)));
    return { args: [name, sub, adapted], reply: adapted === script ? undefined : () => clientSha };
  }
  if (subcommand === "EXISTS") {
    return { args: [name, sub, ...rest.map((sha) => scripts.lookup(sha)?.redisSha ?? sha)] };
  }
  return { args };
};

/** Commands whose scripts or SHAs the gateway translates; everything else passes through. */
const TRANSLATORS: Record<string, Translator> = {
  EVAL: withScript,
  EVAL_RO: withScript,
  EVALSHA: withSha,
  EVALSHA_RO: withSha,
  SCRIPT: scriptSubcommand,
};

/** Translates one client command for Redis, or refuses it with an error reply. */
export function prepare(
  command: CommandArgs,
  scripts: ScriptRegistry,
): Prepared | { error: string } {
  const [rawName, ...rest] = command;
  // Upper case also keeps ioredis from applying its lower-case-keyed reply transformers
  // (it would turn HGETALL's flat array into an object).
  const name = rawName.toUpperCase();
  if (REFUSED.has(name)) {
    return { error: `ERR Command is not available: '${rawName.toLowerCase()}'` };
  }
  const args: CommandArgs = [name, ...rest];
  return TRANSLATORS[name]?.(args, scripts) ?? { args };
}
