// What the bench asks of its load process (bench/load/process.ts) and what it answers: plain
// data, since it crosses the IPC channel.

/** One kind of request. */
export interface RequestSpec {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /**
   * A Stripe delivery signed at send time with `secret`: always `payload` (a duplicate), or a new
   * event each time when there is none.
   */
  stripe?: { secret: string; payload?: string };
}

/** Status code → how many responses had it. */
export type Statuses = Record<number, number>;

/**
 * One request at a time, the targets taken in turn (the first one rotating each turn), so drift
 * and any work left behind by the previous request fall on every target alike.
 */
export interface ProbeJob {
  kind: "probe";
  targets: Record<string, RequestSpec>;
  /** Measured requests per target, after `warmup` unmeasured ones. */
  requests: number;
  warmup: number;
}

export interface ProbeSamples {
  /** Request sent → last byte of the answer, ms. */
  total: number[];
  /** Request sent → the first `data:` of an event stream, ms (empty for other answers). */
  firstData: number[];
  statuses: Statuses;
}

export type ProbeResult = Record<string, ProbeSamples>;

/** autocannon: `connections` at once, for `seconds` or until `amount` responses. */
export interface LoadJob {
  kind: "load";
  spec: RequestSpec;
  /**
   * Requests on `spec`'s server sent in this order, round and round, whichever connection is free
   * taking the next, so that no two connections send the same one in step; `spec` when absent.
   */
  mix?: RequestSpec[];
  /** Several servers taking the same request (connections spread over them); default `spec.url`. */
  urls?: string[];
  connections: number;
  seconds?: number;
  amount?: number;
}

export interface LoadResult {
  /** 2xx answers per second of the run. */
  rps: number;
  /** Each response's latency under this load, ms. */
  p50: number;
  p99: number;
  statuses: Statuses;
  /** Connection errors and timeouts. */
  errors: number;
}

export type Job = ProbeJob | LoadJob;
export type JobResult<J extends Job> = J extends ProbeJob ? ProbeResult : LoadResult;
