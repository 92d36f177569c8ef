/** How much each section sends: quick for CI's smoke run (about two minutes), full for the figures. */
export interface Plan {
  mode: "quick" | "full";
  /** Concurrent connections of every throughput run (latency is measured one request at a time). */
  connections: number;
  /** Seconds of each throughput run. */
  loadSeconds: number;
  /** Throughput runs per path, the paths taking turns; each figure is their median. */
  rounds: number;
  /** Measured requests per path, after `warmup`, in each one-at-a-time latency probe. */
  chat: { requests: number; warmup: number };
  /** Streams last ~30 ms (the mock paces its events 5 ms apart), so fewer of them. */
  stream: { requests: number; warmup: number };
  webhooks: { requests: number; warmup: number };
  /** Requests per path whose Redis commands and round trips are counted. */
  counted: number;
  /** Workers (separate workerd processes) sharing one breaker, and what is sent once it fails. */
  leak: { isolates: number; sequential: number; concurrent: number };
  /** Cold starts per worker (each a fresh isolate; bench/cold-start.ts). */
  coldStarts: number;
  /** Full mode only: requests through one proxy process, its memory read every 10,000 (bench/soak.ts). */
  soak?: { requests: number };
}

export const PLANS: Record<Plan["mode"], Plan> = {
  quick: {
    mode: "quick",
    connections: 8,
    loadSeconds: 2,
    rounds: 3,
    chat: { requests: 150, warmup: 20 },
    stream: { requests: 25, warmup: 5 },
    webhooks: { requests: 100, warmup: 10 },
    counted: 20,
    leak: { isolates: 4, sequential: 40, concurrent: 200 },
    coldStarts: 5,
  },
  full: {
    mode: "full",
    connections: 8,
    loadSeconds: 4,
    rounds: 5,
    chat: { requests: 2000, warmup: 200 },
    stream: { requests: 300, warmup: 30 },
    webhooks: { requests: 1000, warmup: 100 },
    counted: 200,
    leak: { isolates: 4, sequential: 40, concurrent: 400 },
    coldStarts: 25,
    soak: { requests: 100_000 },
  },
};
