// npm run bench:cold-start [-- --starts N]: each worker's cold start in workerd, from handing it
// the bundle `wrangler deploy` uploads to the first response. Each start is a fresh isolate
// (workerd's Worker Loader, the script made unique so no compiled code is reused) answering the
// function's smoke request, which reaches no upstream. Reported: the median and p90 of N starts,
// less the median round trip of a request that loads nothing.
import { readFileSync } from "node:fs";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { ALL_IN_ONE, buildCloudflare } from "../dev/build/cloudflare.ts";
import { COMPATIBILITY_DATE } from "../dev/build/config.ts";
import { FUNCTIONS } from "../functions/registry.ts";
import { SAMPLES } from "../test/build/samples.ts";
import { percentile } from "./stats.ts";

const starts = Number(process.argv[process.argv.indexOf("--starts") + 1]) || 25;

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

const artifacts = await buildCloudflare(FUNCTIONS);
const smokeOf = (name: string) => (FUNCTIONS.find((fn) => fn.name === name) ?? FUNCTIONS[0]!).smoke;
// What any isolate costs: a worker with no code to speak of.
const EMPTY = "(empty worker)";
const workers = Object.fromEntries([
  ...artifacts.map(({ name, file }) => [
    name,
    { code: readFileSync(file, "utf8"), method: smokeOf(name).method, path: smokeOf(name).path },
  ]),
  [
    EMPTY,
    {
      code: "export default { fetch: () => new Response(null, { status: 204 }) };",
      method: "GET",
      path: "/",
    },
  ],
]);
const mf = new Miniflare(
  convertV4MiniflareOptions({
    modules: true,
    script: LOADER_WORKER,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: {
      WORKERS: JSON.stringify({ ...workers, env: SAMPLES }),
      COMPATIBILITY_DATE,
    },
    workerLoaders: { LOADER: {} },
  }),
);
const url = await mf.ready;

async function timed(query: string): Promise<{ ms: number; body: string }> {
  const started = performance.now();
  const body = await (await fetch(new URL(`/?${query}`, url))).text();
  return { ms: performance.now() - started, body };
}

const roundTrips: number[] = [];
for (let i = 0; i < starts; i++) roundTrips.push((await timed("")).ms);
const roundTrip = percentile(roundTrips, 50);

console.log(
  `Cold starts in workerd, ${starts} per worker (round trip ${roundTrip.toFixed(1)} ms subtracted)\n`,
);
console.log("| worker | first response | p50 ms | p90 ms |");
console.log("| --- | --- | ---: | ---: |");
for (const name of [EMPTY, ALL_IN_ONE, ...FUNCTIONS.map((fn) => fn.name)]) {
  const samples: number[] = [];
  let status = "";
  for (let i = 0; i < starts; i++) {
    const { ms, body } = await timed(`worker=${encodeURIComponent(name)}`);
    samples.push(ms - roundTrip);
    status = body;
  }
  const { method, path } = workers[name]!;
  const p = (q: number) => percentile(samples, q).toFixed(1);
  console.log(`| ${name} | ${method} ${path} → ${status} | ${p(50)} | ${p(90)} |`);
}
await mf.dispose();
