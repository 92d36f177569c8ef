import type pg from "pg";
import { inTransaction } from "./database.ts";
import { pgrstError } from "./errors.ts";
import type { Routine } from "./schema.ts";

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A statement with its parameters; values never enter the SQL text. */
export interface Statement {
  text: string;
  values: string[];
}

/**
 * The statement PostgREST 12 runs for a call (QueryBuilder.callPlanToQuery inside
 * Statements.prepareCall): the JSON arguments typed by `json_to_record`, passed by name, the
 * result aggregated to JSON text in PostgreSQL. `keys` are the arguments present; the others take
 * their defaults. `single` asks for the first row only (`.single()`).
 */
export function callStatement(
  routine: Routine,
  args: { json: string; keys: ReadonlySet<string> },
  single: boolean,
): Statement {
  const fn = `${ident(routine.schema)}.${ident(routine.name)}`;
  const scalar = !routine.composite;
  // A scalar's value is wrapped in a column so both kinds aggregate alike.
  const callIt = (argList: string) =>
    scalar ? `(SELECT ${fn}(${argList}) pgrst_scalar) pgrst_call` : `${fn}(${argList}) pgrst_call`;
  const [only] = routine.params;
  const named = routine.params.filter((p) => args.keys.has(p.name));
  let from: string;
  let values: string[] = [args.json];
  if (routine.params.length === 1 && only?.name === "") {
    from = `FROM ${callIt(`$1::${only.type}`)}`;
  } else if (named.length === 0) {
    from = `FROM ${callIt("")}`;
    values = [];
  } else {
    const columns = named.map((p) => ident(p.name)).join(", ");
    const typed = named.map((p) => `${ident(p.name)} ${p.type}`).join(", ");
    const passed = named
      .map((p) => `${p.variadic ? "VARIADIC " : ""}${ident(p.name)} := pgrst_body.${ident(p.name)}`)
      .join(", ");
    from =
      `FROM (SELECT $1::json AS json_data) pgrst_payload, ` +
      `LATERAL (SELECT ${columns} FROM json_to_record(pgrst_payload.json_data) AS _(${typed}) LIMIT 1) pgrst_body, ` +
      `LATERAL ${callIt(passed)}`;
  }
  const rows = scalar ? "_postgrest_t.pgrst_scalar" : "_postgrest_t";
  const body =
    single || !routine.setof
      ? `coalesce(json_agg(${rows})->0, 'null')`
      : `coalesce(json_agg(${rows}), '[]')`;
  const text =
    `WITH pgrst_source AS (SELECT ${scalar ? "pgrst_call.pgrst_scalar" : "pgrst_call.*"} ${from}) ` +
    `SELECT ${routine.setof ? "pg_catalog.count(_postgrest_t)" : "1"} AS page_total, ` +
    `(${body})::text AS body FROM (SELECT * FROM pgrst_source) _postgrest_t`;
  return { text, values };
}

/** What a call produced: its rows as one JSON text, and how many rows there were. */
export interface CallResult {
  body: string;
  rows: number;
}

export interface CallOptions {
  statement: Statement;
  single: boolean;
  /** GETs, and calls of stable or immutable functions, run read-only (as in PostgREST). */
  readOnly: boolean;
  /** Transaction-local settings: the role, `request.jwt.claims`, `request.headers`… */
  settings: Readonly<Record<string, string>>;
}

/**
 * Runs one call in its own transaction. `.single()` on anything but exactly one row is
 * PostgREST's 406 PGRST116, and rolls the call back.
 */
export async function runCall(pool: pg.Pool, options: CallOptions): Promise<CallResult> {
  const { statement, single } = options;
  return inTransaction(pool, options, async (client) => {
    const result = await client.query<{ page_total: string | number; body: string }>(statement);
    const row = result.rows[0];
    const rows = Number(row?.page_total ?? 0);
    if (single && rows !== 1) {
      throw pgrstError(406, "PGRST116", "JSON object requested, multiple (or no) rows returned", {
        details: `The result contains ${rows} rows`,
      });
    }
    return { body: row?.body ?? "null", rows };
  });
}
