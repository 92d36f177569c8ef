/**
 * How much to fuzz. CI runs the defaults (fixed seed, a few hundred cases per endpoint, well
 * under a minute on two cores); a longer run is one variable away:
 *
 *   FUZZ_RUNS=20000 FUZZ_SEED=7 npm run test:fuzz
 *
 * FUZZ_PATH replays one counterexample fast-check reported (with its seed, and `-t <endpoint>`
 * so only that property runs).
 */
function integer(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Cases per endpoint. */
export const RUNS = integer("FUZZ_RUNS", 400);
export const SEED = integer("FUZZ_SEED", 42);
export const REPLAY_PATH = process.env.FUZZ_PATH || undefined;

/** Per-endpoint test timeout: generous per case (a few cases carry 4 MiB bodies), never below 2 min. */
export const TIMEOUT_MS = Math.max(120_000, RUNS * 400);
