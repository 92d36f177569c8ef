import { BoundedMap } from "../bounded-map.ts";
import { PRICE_ROWS_JSON } from "./prices.generated.ts";
import type { Usage } from "./types.ts";

/** How the catalogue names the models a price applies to. */
export type MatchLogic =
  | { equals: string }
  | { starts_with: string }
  | { ends_with: string }
  | { contains: string }
  | { regex: string }
  | { or: MatchLogic[] }
  | { and: MatchLogic[] };

/** [provider, model match, input, output, cache read, cache write], USD per million tokens. */
export type PriceRow = readonly [string, MatchLogic, number, number, number | null, number | null];

export interface Price {
  input: number;
  output: number;
  /** Cache reads and writes are input at their own rates; without one, the input rate. */
  cacheRead: number;
  cacheWrite: number;
}

function matches(logic: MatchLogic, model: string): boolean {
  if ("equals" in logic) return model === logic.equals;
  if ("starts_with" in logic) return model.startsWith(logic.starts_with);
  if ("ends_with" in logic) return model.endsWith(logic.ends_with);
  if ("contains" in logic) return model.includes(logic.contains);
  if ("regex" in logic) return new RegExp(logic.regex).test(model);
  if ("or" in logic) return logic.or.some((part) => matches(part, model));
  return logic.and.every((part) => matches(part, model));
}

let rows: readonly PriceRow[] | undefined;

/** The catalogue, parsed once per isolate when a first price is asked for (after a response). */
const priceRows = () => (rows ??= JSON.parse(PRICE_ROWS_JSON) as readonly PriceRow[]);

/** Each `provider:model` asked for, priced once per isolate (a served model is one of a few). */
const known = new BoundedMap<string, Price | null>(1_000);

/** The price of `provider:model` from the catalogue, the first matching row; undefined if none. */
export function priceOf(provider: string, model: string): Price | undefined {
  const id = `${provider}:${model}`;
  let price = known.get(id);
  if (price === undefined) known.set(id, (price = lookUp(provider, model)));
  return price ?? undefined;
}

function lookUp(provider: string, model: string): Price | null {
  const name = model.replace(/^models\//, "");
  const row = priceRows().find(([p, logic]) => p === provider && matches(logic, name));
  if (!row) return null;
  const [, , input, output, cacheRead, cacheWrite] = row;
  return { input, output, cacheRead: cacheRead ?? input, cacheWrite: cacheWrite ?? input };
}

/**
 * What `usage` cost at `price`: uncached input, cache reads, cache writes and output (reasoning
 * included) each at their own rate.
 */
export function costOf(price: Price, usage: Usage): number {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  const written = usage.prompt_tokens_details?.cache_write_tokens ?? 0;
  const uncached = Math.max(0, usage.prompt_tokens - cached - written);
  return (
    (uncached * price.input +
      cached * price.cacheRead +
      written * price.cacheWrite +
      usage.completion_tokens * price.output) /
    1_000_000
  );
}
