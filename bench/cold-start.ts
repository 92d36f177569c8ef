// Each worker's cold start in workerd, from handing it the bundle `wrangler deploy` uploads to its
// first response. Each start is a fresh isolate (workerd's Worker Loader, the script made unique
// so no compiled code is reused) that compiles and evaluates the bundle, then answers the
// function's smoke request, which reaches no upstream (for ai-proxy, GET /v1/models without a
// key: the dependencies built from the env, the routes matched, a 401). Reported per worker: the
// p50 and p90 of N starts, taken in turns so a busy machine slows every worker alike, less the
// p50 round trip of a request that loads nothing; and an empty worker's, the isolate's own cost.
//
// `npm run bench` measures it after its build; `npm run bench:cold-start [-- --starts N]` alone.
import { readFileSync } from "node:fs";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { ALL_IN_ONE, buildCloudflare } from "../dev/build/cloudflare.ts";
import { COMPATIBILITY_DATE } from "../dev/build/config.ts";
import type { Artifact } from "../dev/build/layout.ts";
import { FUNCTIONS } from "../functions/registry.ts";
import { SAMPLES } from "../test/build/samples.ts";
import { percentile } from "./stats.ts";

export interface ColdStart {
  p50: number;
  p90: number;
}

/** Cold start in ms per worker (the all-in-one worker's name, each function's) and `empty_isolate`. */
export type ColdStarts = Record<string, ColdStart>;

export const EMPTY_ISOLATE = "empty_isolate";

// Loads the worker it is asked for into a new isolate and answers with its first status.
const LOADER_WORKER = `
let workers;
export default {
  async fetch(request, env) {
    workers ??= JSON.parse(env.WORKERS);
    const name = new URL(request.url).searchParams.get("worker");
    if (!name) return new Response("warm");
    const { code, method, path } = workers[name];
    const worker = env.LOADER.load({
      compatibilityDate: env.COMPATIBILITY_DATE,
      mainModule: "worker.js",
      modules: { "worker.js": code + "\\n// " + crypto.randomUUID() },
      env: workers.env,
    });
    const res = await worker.getEntrypoint().fetch(new Request("https://fn" + path, { method }));
    return new Response(String(res.status));
  },
};`;

const smokeOf = (name: string) => (FUNCTIONS.find((fn) => fn.name === name) ?? FUNCTIONS[0]!).smoke;

/**
 * `starts` cold starts of each built Cloudflare worker and of an empty one. Throws if a worker
 * answers its smoke request with another status than the registry's: a failed start is no figure.
 */
export async function measureColdStarts(
  artifacts: readonly Artifact[],
  starts: number,
): Promise<ColdStarts> {
  const workers = Object.fromEntries([
    [
      EMPTY_ISOLATE,
      {
        code: "export default { fetch: () => new Response(null, { status: 204 }) };",
        method: "GET",
        path: "/",
        status: 204,
      },
    ],
    ...artifacts.map(({ name, file }) => [
      name,
      { code: readFileSync(file, "utf8"), ...smokeOf(name) },
    ]),
  ]) as Record<string, { code: string; method: string; path: string; status: number }>;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: LOADER_WORKER,
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { WORKERS: JSON.stringify({ ...workers, env: SAMPLES }), COMPATIBILITY_DATE },
      workerLoaders: { LOADER: {} },
    }),
  );
  try {
    const url = await mf.ready;
    const timed = async (query: string) => {
      const started = performance.now();
      const body = await (await fetch(new URL(`/?${query}`, url))).text();
      return { ms: performance.now() - started, body };
    };
    const roundTrips: number[] = [];
    for (let i = 0; i < starts; i++) roundTrips.push((await timed("")).ms);
    const roundTrip = percentile(roundTrips, 50);
    const samples = new Map(Object.keys(workers).map((name) => [name, [] as number[]]));
    for (let i = 0; i < starts; i++) {
      for (const [name, times] of samples) {
        const { ms, body } = await timed(`worker=${encodeURIComponent(name)}`);
        if (body !== String(workers[name]!.status)) {
          throw new Error(`cold start of ${name}: answered ${body}, not ${workers[name]!.status}`);
        }
        times.push(ms - roundTrip);
      }
    }
    return Object.fromEntries(
      [...samples].map(([name, times]) => [
        name,
        { p50: percentile(times, 50), p90: percentile(times, 90) },
      ]),
    );
  } finally {
    await mf.dispose();
  }
}

/** The figures one per line under their stable names: `cold_start_ms.<worker>: p50 …, p90 …`. */
export function coldStartLines(figures: ColdStarts): string[] {
  return Object.entries(figures).map(
    ([name, { p50, p90 }]) =>
      `cold_start_ms.${name}: p50 ${p50.toFixed(1)} ms, p90 ${p90.toFixed(1)} ms`,
  );
}

if (import.meta.main) {
  const starts = Number(process.argv[process.argv.indexOf("--starts") + 1]) || 25;
  const figures = await measureColdStarts(await buildCloudflare(FUNCTIONS), starts);
  console.log(
    `Cold starts in workerd, ${starts} per worker: fresh isolate to first response (ms)\n`,
  );
  for (const line of coldStartLines(figures)) console.log(line);
  console.log(`\n(${ALL_IN_ONE} is the all-in-one worker; ${EMPTY_ISOLATE}, a worker of no code.)`);
}
