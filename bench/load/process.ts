// The bench's load generator, in a process of its own (forked by ./index.ts) so that it shares no
// event loop with the mocks and gateways it drives. Jobs arrive over IPC; results go back the
// same way. Latency is probed one request at a time with node:http; load is autocannon's.
import autocannon, { type Request as LoadRequest } from "autocannon";
import { Agent, request } from "node:http";
import { percentile } from "../stats.ts";
import type {
  Job,
  LoadJob,
  LoadResult,
  ProbeJob,
  ProbeResult,
  RequestSpec,
  Statuses,
} from "./jobs.ts";
import { stripeEvent, stripeSignature } from "./stripe.ts";

/** Body and headers of one request of `spec`; a Stripe delivery is signed now. */
function materialize(spec: RequestSpec): { body?: string; headers: Record<string, string> } {
  const headers = spec.headers ?? {};
  if (!spec.stripe) return spec.body === undefined ? { headers } : { body: spec.body, headers };
  const body = spec.stripe.payload ?? stripeEvent();
  const signature = stripeSignature(body, spec.stripe.secret);
  return {
    body,
    headers: { ...headers, "content-type": "application/json", "stripe-signature": signature },
  };
}

const count = (statuses: Statuses, status: number) => {
  statuses[status] = (statuses[status] ?? 0) + 1;
};

interface Timing {
  status: number;
  total: number;
  firstData: number | undefined;
}

/** One request on `agent`'s kept-alive connection, timed from the moment it is sent. */
function timed(spec: RequestSpec, agent: Agent): Promise<Timing> {
  const { body, headers } = materialize(spec);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstData: number | undefined;
    let head = "";
    const req = request(spec.url, { method: spec.method, headers, agent }, (res) => {
      const eventStream = res.headers["content-type"]?.startsWith("text/event-stream") ?? false;
      res.on("data", (chunk: Buffer) => {
        if (!eventStream || firstData !== undefined) return;
        // The first event's `data:` may in principle straddle two chunks.
        head += chunk.toString("latin1");
        if (head.includes("data:")) firstData = performance.now() - started;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, total: performance.now() - started, firstData }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    // A bench that hangs would hold CI up without saying why.
    req.setTimeout(10_000, () => req.destroy(new Error(`${spec.url}: no answer within 10 s`)));
    req.end(body);
  });
}

async function probe(job: ProbeJob): Promise<ProbeResult> {
  const names = Object.keys(job.targets);
  const agents = new Map(
    names.map((name) => [name, new Agent({ keepAlive: true, maxSockets: 1 })]),
  );
  const result: ProbeResult = Object.fromEntries(
    names.map((name) => [name, { total: [], firstData: [], statuses: {} }]),
  );
  for (let turn = 0; turn < job.warmup + job.requests; turn++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(turn + i) % names.length]!;
      const timing = await timed(job.targets[name]!, agents.get(name)!);
      const samples = result[name]!;
      count(samples.statuses, timing.status);
      if (turn < job.warmup) continue;
      samples.total.push(timing.total);
      if (timing.firstData !== undefined) samples.firstData.push(timing.firstData);
    }
  }
  for (const agent of agents.values()) agent.destroy();
  return result;
}

/** What autocannon sends for each request of `job`, when it is not the same every time. */
function setup(job: LoadJob): LoadRequest["setupRequest"] {
  const { spec, mix } = job;
  if (mix) {
    let sent = 0;
    return (req) => {
      const next = mix[sent++ % mix.length]!;
      return {
        ...req,
        method: next.method,
        path: new URL(next.url).pathname,
        ...materialize(next),
      };
    };
  }
  // Every Stripe delivery is built (a new event, or the duplicate) and signed as it is sent.
  if (spec.stripe) return (req) => ({ ...req, ...materialize(spec) });
  return undefined;
}

async function load(job: LoadJob): Promise<LoadResult> {
  const { spec } = job;
  const statuses: Statuses = {};
  const latencies: number[] = [];
  const setupRequest = setup(job);
  const instance = autocannon({
    url: job.urls ?? spec.url,
    method: spec.method,
    ...materialize(spec),
    connections: job.connections,
    ...(job.amount ? { amount: job.amount } : { duration: job.seconds ?? 1 }),
    ...(setupRequest ? { requests: [{ setupRequest }] } : {}),
  });
  instance.on("response", (_client, status, _bytes, ms) => {
    count(statuses, status);
    latencies.push(ms);
  });
  const result = await instance;
  const ok = Object.entries(statuses)
    .filter(([status]) => status.startsWith("2"))
    .reduce((sum, [, n]) => sum + n, 0);
  return {
    // Responses and duration both run to autocannon's last tick, so their ratio stays right.
    rps: ok / result.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statuses,
    errors: result.errors,
  };
}

process.on("message", (message: { id: number; job: Job }) => {
  const { id, job } = message;
  const running = job.kind === "probe" ? probe(job) : load(job);
  running.then(
    (result) => process.send!({ id, result }),
    (error: unknown) =>
      process.send!({
        id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
// The bench went away (finished or crashed): nothing left to drive.
process.on("disconnect", () => process.exit(0));
