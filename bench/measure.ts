import type { LocalWorker } from "../dev/local/worker.ts";
import { cpuPerRequest } from "./cpu.ts";
import type { LoadProcess } from "./load/index.ts";
import type { LoadResult, ProbeResult, RequestSpec, Statuses } from "./load/jobs.ts";
import type { Plan } from "./plan.ts";
import type { BenchStack } from "./stack.ts";
import { percentile } from "./stats.ts";

/**
 * One path's figures: latency one request at a time; requests/s at the plan's connections, and
 * the CPU each process spent per request meanwhile.
 */
export interface PathFigures {
  p50_ms: number;
  p99_ms: number;
  rps: number;
  cpu_ms_per_request: Record<string, number>;
}

/** Waits for work the functions defer past their response (waitUntil): reports, usage rows, claims. */
export const settle = (ms = 400) => new Promise((resolve) => setTimeout(resolve, ms));

/** Throws unless every answer had `status`: a figure of failed requests would mean nothing. */
export function expectStatus(what: string, statuses: Statuses, status = 200): void {
  const other = Object.keys(statuses).filter((code) => Number(code) !== status);
  if (other.length > 0)
    throw new Error(`${what}: answers ${JSON.stringify(statuses)}, expected ${status} only`);
}

const answers = (statuses: Statuses) => Object.values(statuses).reduce((sum, n) => sum + n, 0);

/**
 * Redis commands a request surely runs under load, of the `counted` it ran one at a time: that
 * count holds a breaker report per request, but under load an isolate's held successes go to
 * Redis together (shared/resilience/state.ts), so fewer run; about half is its gate and limit.
 */
export const owed = (counted: number) => counted / 2;

/** Redis's own breaker in each isolate (shared/resilience/breaker/fallback-store.ts) stays open this long. */
const REDIS_BREAKER_OPEN_MS = 5_000;
const ATTEMPTS = 3;

export interface MeasureOptions<P extends string> {
  specs: Record<P, RequestSpec>;
  probe: { requests: number; warmup: number };
  /** What latency is timed to: the last byte, or the first `data:` of a stream. */
  metric: "total" | "firstData";
  /** The worker each path goes through (none: straight to the mock), for its CPU. */
  workers: Record<P, LocalWorker | undefined>;
  /** Redis commands a request runs on the paths that use Redis (from countRoundTrips). */
  redisCommands: Partial<Record<P, number>>;
}

/** The median of each figure over the rounds. */
function medianOf(rounds: Record<string, number>[]): Record<string, number> {
  const keys = Object.keys(rounds[0]!);
  return Object.fromEntries(
    keys.map((key) => [
      key,
      percentile(
        rounds.map((r) => r[key]!),
        50,
      ),
    ]),
  );
}

/**
 * Latency of each path one request at a time, the paths interleaved, then each path's requests/s
 * under the plan's load and the CPU each process spent per request: `plan.rounds` runs per path,
 * the paths taking turns, and the median of each figure, so that a moment of a busy machine
 * (another tenant, a GC, a timer tick) weighs on one run, not on one path. Every answer must be
 * a 200.
 * Returns the figures, how many requests each path answered over every run (repeated ones
 * included), and how many runs were repeated.
 *
 * A Redis call over its 150 ms deadline (a starved machine) sends the isolate to its in-memory
 * fallback for seconds, and figures taken meanwhile would be of another path: a run in which
 * Redis ran fewer commands than its requests owe is repeated, once Redis's breaker has closed.
 */
export async function measurePaths<P extends string>(
  stack: BenchStack,
  load: LoadProcess,
  plan: Plan,
  options: MeasureOptions<P>,
): Promise<{ figures: Record<P, PathFigures>; answered: Record<P, number>; repeated: number }> {
  const paths = Object.keys(options.specs) as P[];
  /** Redis commands owed by so many requests of each path. */
  const owed = (requests: [P, number][]) =>
    requests.reduce((sum, [path, n]) => sum + (options.redisCommands[path] ?? 0) * n, 0);
  const answered = Object.fromEntries(paths.map((path) => [path, 0])) as Record<P, number>;
  let repeated = 0;
  async function keptUp<T>(what: string, run: () => Promise<{ value: T; owed: number }>) {
    for (let attempt = 1; ; attempt++) {
      const before = await stack.redisCommands();
      const { value, owed: due } = await run();
      await settle();
      const ran = (await stack.redisCommands()) - before;
      if (ran >= 0.98 * due) return value;
      if (attempt === ATTEMPTS) {
        throw new Error(`${what}: Redis ran ${ran} commands of ${due}, ${ATTEMPTS} times over`);
      }
      repeated++;
      await settle(REDIS_BREAKER_OPEN_MS + 1_000);
      // A request at a time first: the one that finds Redis's breaker half-open closes it.
      const warm = await load.run({
        kind: "probe",
        targets: options.specs,
        requests: 0,
        warmup: 2,
      });
      for (const path of paths) answered[path] += warm[path]!.statuses[200] ?? 0;
    }
  }

  const latency = await keptUp("latency", async () => {
    const value: ProbeResult = await load.run({
      kind: "probe",
      targets: options.specs,
      ...options.probe,
    });
    for (const path of paths) answered[path] += value[path]!.statuses[200] ?? 0;
    return { value, owed: owed(paths.map((path) => [path, answers(value[path]!.statuses)])) };
  });
  for (const path of paths) expectStatus(`${path}, one at a time`, latency[path]!.statuses);
  const runs = Object.fromEntries(paths.map((path) => [path, []])) as unknown as Record<
    P,
    { rps: number; cpu: Record<string, number> }[]
  >;
  for (let round = 0; round < plan.rounds; round++) {
    for (const path of paths) runs[path].push(await underLoad(path));
  }
  const figures = {} as Record<P, PathFigures>;
  for (const path of paths) {
    const values = latency[path]![options.metric];
    const cpu = medianOf(runs[path].map((run) => run.cpu));
    figures[path] = {
      p50_ms: percentile(values, 50),
      p99_ms: percentile(values, 99),
      rps: percentile(
        runs[path].map((run) => run.rps),
        50,
      ),
      cpu_ms_per_request: { ...cpu, total: Object.values(cpu).reduce((sum, ms) => sum + ms, 0) },
    };
  }
  return { figures, answered, repeated };

  async function underLoad(path: P) {
    const { run, cpu } = await keptUp(`${path} under load`, async () => {
      let run!: LoadResult;
      const cpu = await cpuPerRequest(
        () => stack.roles(options.workers[path]),
        async () => {
          run = await load.run({
            kind: "load",
            spec: options.specs[path],
            connections: plan.connections,
            seconds: plan.loadSeconds,
          });
          return answers(run.statuses);
        },
      );
      answered[path] += run.statuses[200] ?? 0;
      return { value: { run, cpu }, owed: owed([[path, answers(run.statuses)]]) };
    });
    expectStatus(`${path}, ${plan.connections} connections`, run.statuses);
    if (run.errors > 0) throw new Error(`${path}: ${run.errors} connection errors under load`);
    return { rps: run.rps, cpu };
  }
}

/** c/base for each figure: latency ratios above 1 and a requests/s ratio below 1 are c's cost. */
export function ratio(c: PathFigures, base: PathFigures) {
  return { p50: c.p50_ms / base.p50_ms, p99: c.p99_ms / base.p99_ms, rps: c.rps / base.rps };
}
