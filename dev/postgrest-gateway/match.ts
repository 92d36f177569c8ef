import { GatewayError, pgrstError } from "./errors.ts";
import type { Routine } from "./schema.ts";

/** What a request offers a function: its argument names, and whether it came as a JSON body. */
export interface CallShape {
  keys: ReadonlySet<string>;
  /** A POSTed JSON body may also go whole to a function's single unnamed json/jsonb parameter. */
  jsonBody: boolean;
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) =>
  a.size === b.size && [...a].every((key) => b.has(key));

// PostgREST's matchesParams: every required parameter named, nothing unknown.
function matchesParams(routine: Routine, keys: ReadonlySet<string>): boolean {
  const required = new Set(routine.params.filter((p) => p.required).map((p) => p.name));
  const optional = new Set(routine.params.filter((p) => !p.required).map((p) => p.name));
  return sameSet(new Set([...keys].filter((key) => !optional.has(key))), required);
}

function takesWholeBody(routine: Routine, shape: CallShape): boolean {
  const [only, ...rest] = routine.params;
  return shape.jsonBody && rest.length === 0 && only?.name === "" && /^jsonb?$/.test(only.type);
}

function ambiguous(routines: Routine[]): GatewayError {
  const signature = (r: Routine) =>
    `${r.schema}.${r.name}(${r.params.map((p) => `${p.name} => ${p.type}`).join(", ")})`;
  return pgrstError(
    300,
    "PGRST203",
    `Could not choose the best candidate function between: ${routines.map(signature).join(", ")}`,
    {
      hint: "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    },
  );
}

/**
 * Chooses among a function's overloads as PostgREST's findProc does: the one whose parameters the
 * argument names fit, else the one taking the whole JSON body. Undefined when none fits; throws
 * PGRST203 when several do.
 */
export function matchRoutine(overloads: readonly Routine[], shape: CallShape): Routine | undefined {
  const named = overloads.filter((r) => matchesParams(r, shape.keys));
  const candidates = named.length > 0 ? named : overloads.filter((r) => takesWholeBody(r, shape));
  if (candidates.length > 1) throw ambiguous(candidates);
  return candidates[0];
}

/**
 * PostgREST's PGRST202 for `schema.name` called with `shape`. PostgREST fuzzy-matches its hint;
 * this one suggests the overload sharing most argument names, and nothing for an unknown name.
 */
export function noSuchFunction(
  qualifiedName: string,
  shape: CallShape,
  overloads: readonly Routine[],
): GatewayError {
  const keys = [...shape.keys].sort();
  const withParams =
    keys.length === 0
      ? " without parameters"
      : ` with parameter${keys.length > 1 ? "s" : ""} ${keys.join(", ")}`;
  const orWholeBody = shape.jsonBody ? " or with a single unnamed json/jsonb parameter" : "";
  const shared = (r: Routine) => r.params.filter((p) => shape.keys.has(p.name)).length;
  const closest = [...overloads].sort((a, b) => shared(b) - shared(a))[0];
  const hint =
    closest &&
    `Perhaps you meant to call the function ${qualifiedName}(${closest.params
      .map((p) => p.name)
      .sort()
      .join(", ")})`;
  return pgrstError(
    404,
    "PGRST202",
    `Could not find the function ${qualifiedName}${keys.length === 0 ? " without parameters" : `(${keys.join(", ")})`} in the schema cache`,
    {
      details: `Searched for the function ${qualifiedName}${withParams}${orWholeBody}, but no matches were found in the schema cache.`,
      ...(hint && { hint }),
    },
  );
}
