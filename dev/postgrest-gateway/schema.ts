import type pg from "pg";
import { inTransaction } from "./database.ts";

/** One input parameter of a SQL function. */
export interface RoutineParam {
  /** Empty for an unnamed parameter. */
  name: string;
  /** The type the JSON argument is read as (`character` widened to `character varying`, as PostgREST does). */
  type: string;
  /** False when the parameter has a default. */
  required: boolean;
  variadic: boolean;
}

/** A function of the exposed schema, callable at `/rpc/<name>`, as PostgREST's schema cache sees it. */
export interface Routine {
  schema: string;
  name: string;
  params: RoutineParam[];
  setof: boolean;
  /** Returns rows with columns (a table or composite type, OUT/INOUT/TABLE parameters). */
  composite: boolean;
  returnsVoid: boolean;
  /** `i`mmutable, `s`table or `v`olatile: PostgREST runs all but volatile ones read-only. */
  volatility: "i" | "s" | "v";
}

// pg_proc read the way PostgREST 12 reads it (SchemaCache.hs, funcsSqlQuery), except that the
// arguments come from proallargtypes, so OUT parameters placed between IN ones keep their names.
// Left out, like PostgREST: procedures, aggregates, trigger functions, and functions it cannot
// call (several unnamed parameters, or one that is not json/jsonb — the only body we take).
const ROUTINES_SQL = `
select
  p.proname as name,
  coalesce(args.params, '[]') as params,
  p.proretset as setof,
  (t.typtype = 'c' or coalesce(p.proargmodes::text[] && '{t,b,o}', false)) as composite,
  p.prorettype = 'void'::regtype as returns_void,
  p.provolatile as volatility
from pg_proc p
join pg_type t on t.oid = p.prorettype
left join lateral (
  select
    json_agg(json_build_object(
      'name', arg.name,
      'type', case arg.type
        when 'bit'::regtype then 'bit varying'
        when 'bit[]'::regtype then 'bit varying[]'
        when 'character'::regtype then 'character varying'
        when 'character[]'::regtype then 'character varying[]'
        else arg.type::regtype::text
      end,
      'required', arg.position <= p.pronargs - p.pronargdefaults,
      'variadic', arg.mode = 'v'
    ) order by arg.position) as params,
    count(*) filter (where arg.name = '') as unnamed,
    bool_and(arg.name <> '' or arg.type in ('json'::regtype, 'jsonb'::regtype)) as callable
  from (
    select coalesce(a.name, '') as name, a.type, coalesce(a.mode, 'i') as mode,
      row_number() over (order by a.ordinality) as position
    from unnest(coalesce(p.proallargtypes, p.proargtypes::oid[]), p.proargmodes::text[], p.proargnames)
      with ordinality as a(type, mode, name, ordinality)
    where coalesce(a.mode, 'i') in ('i', 'b', 'v')
  ) arg
) args on true
where p.pronamespace = $1::regnamespace
  and p.prokind = 'f'
  and p.prorettype <> 'trigger'::regtype
  and coalesce(args.unnamed, 0) <= 1
  and coalesce(args.callable, true)`;

interface RoutineRow {
  name: string;
  params: RoutineParam[];
  setof: boolean;
  composite: boolean;
  returns_void: boolean;
  volatility: Routine["volatility"];
}

/** The functions of `schema`, grouped by name (overloads together). */
async function readRoutines(pool: pg.Pool, schema: string): Promise<Map<string, Routine[]>> {
  const rows = await inTransaction(pool, { readOnly: true }, async (client) => {
    return (await client.query<RoutineRow>(ROUTINES_SQL, [schema])).rows;
  });
  const byName = new Map<string, Routine[]>();
  for (const row of rows) {
    const routine: Routine = {
      schema,
      name: row.name,
      params: row.params,
      setof: row.setof,
      composite: row.composite,
      returnsVoid: row.returns_void,
      volatility: row.volatility,
    };
    byName.set(row.name, [...(byName.get(row.name) ?? []), routine]);
  }
  return byName;
}

/** PostgREST's schema cache, reduced to the functions of one schema. */
export interface RoutineCache {
  /** The overloads named `name`, from the cache. */
  overloads(name: string): Promise<Routine[]>;
  /** Reads pg_proc again (a migration may have added or changed functions) and returns `overloads(name)`. */
  reload(name: string): Promise<Routine[]>;
}

/** Reads `schema`'s functions on first use and again on `reload`; a failed read is not kept. */
export function routineCache(pool: pg.Pool, schema: string): RoutineCache {
  let cached: Promise<Map<string, Routine[]>> | undefined;
  const read = () => {
    const reading = readRoutines(pool, schema);
    cached = reading;
    // Forget a failed read (PostgreSQL down) so the next request tries again.
    reading.catch(() => {
      if (cached === reading) cached = undefined;
    });
    return reading;
  };
  return {
    overloads: async (name) => (await (cached ?? read())).get(name) ?? [],
    reload: async (name) => (await read()).get(name) ?? [],
  };
}
