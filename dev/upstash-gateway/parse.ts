import { GatewayError } from "./errors.ts";
import type { Arg, CommandArgs } from "./scripts.ts";

const invalid = (message: string) => new GatewayError(400, `ERR ${message}`);

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The request body as JSON. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw invalid(`the request body is not valid JSON: ${describe(error)}`);
  }
}

function toArg(value: unknown): string {
  if (typeof value === "string") return value;
  // The Upstash clients send numbers (and may send booleans) as JSON values; Redis wants text.
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw invalid(`command arguments must be strings, numbers or booleans: ${JSON.stringify(value)}`);
}

/** One command from JSON: a non-empty array such as `["SET", "k", "v"]`. */
export function toCommand(value: unknown): CommandArgs {
  const [name, ...args] = Array.isArray(value) ? value.map(toArg) : [];
  if (name === undefined)
    throw invalid('a command is a non-empty JSON array, e.g. ["SET","k","v"]');
  return [name, ...args];
}

/** The body of /pipeline and /multi-exec: a non-empty JSON array of commands. */
export function toCommands(value: unknown): CommandArgs[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid(
      'expected a non-empty JSON array of commands, e.g. [["SET","k","v"],["GET","k"]]',
    );
  }
  return value.map(toCommand);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch (error) {
    throw invalid(`cannot decode the path segment "${segment}": ${describe(error)}`);
  }
}

/**
 * A path-style command: `/set/k/v` is `SET k v`. A non-empty body is appended as one more
 * argument, as raw bytes so binary values survive (Upstash's docs POST bodyless `/info` too),
 * then each query parameter but `_token` as its name and value (`?EX=100` → `EX 100`).
 */
export function commandFromPath(path: string, query: URLSearchParams, body: Buffer): CommandArgs {
  const [name, ...args] = path.split("/").slice(1).map(decodeSegment);
  if (!name) throw invalid("the path names no command");
  const tail: Arg[] = body.length > 0 ? [body] : [];
  for (const [key, value] of query) {
    if (key !== "_token") tail.push(key, ...(value === "" ? [] : [value]));
  }
  return [name, ...args, ...tail];
}
