import { format, resolveConfig } from "prettier";
import type { benchAiProxy } from "./ai-proxy.ts";
import type { benchBreakerLeak } from "./breaker-leak.ts";
import type { bundleSizes } from "./bundle.ts";
import { type ColdStarts, coldStartLines } from "./cold-start.ts";
import type { PathFigures } from "./measure.ts";
import type { Plan } from "./plan.ts";
import type { countRoundTrips } from "./round-trips.ts";
import { SOAK_MIX, SOAK_READING_EVERY, SOAK_RSS_TARGET, type benchSoak } from "./soak.ts";
import type { benchWebhooks } from "./webhooks.ts";

/** What bench/results.json holds: keys named after the figures. */
export type Results = {
  mode: Plan["mode"];
  date: string;
  machine: { cpus: number; cpu: string; node: string };
  plan: Plan;
  /** `soak` in full mode only. */
  ai_proxy: Awaited<ReturnType<typeof benchAiProxy>> & {
    soak?: Awaited<ReturnType<typeof benchSoak>>;
  };
  webhooks: Awaited<ReturnType<typeof benchWebhooks>>;
  breaker_leak: Awaited<ReturnType<typeof benchBreakerLeak>>;
  bundle_kib: ReturnType<typeof bundleSizes>;
  cold_start_ms: ColdStarts;
} & Awaited<ReturnType<typeof countRoundTrips>>;

/** Every figure that did not come out (not a finite number), by its key path. */
export function missingFigures(value: unknown, path = ""): string[] {
  if (value === undefined) return [path];
  if (typeof value === "number") return Number.isFinite(value) ? [] : [path];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    missingFigures(inner, path ? `${path}.${key}` : key),
  );
}

/**
 * `file`'s text: JSON with every fraction cut to 3 decimals (more would be noise), formatted as
 * the repository's prettier check wants it.
 */
export async function toJson(results: Results, file: string): Promise<string> {
  const rounded = (_key: string, value: unknown) =>
    typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
  const options = await resolveConfig(file);
  return format(JSON.stringify(results, rounded), { ...options, filepath: file });
}

const ms = (value: number) => value.toFixed(2);
const rps = (value: number) => value.toFixed(0);
const cpu = (value: number) => value.toFixed(3);
const times = (value: number) => `${value.toFixed(2)}×`;
const count = (value: number) => String(Math.round(value * 100) / 100);

/** A Markdown table padded for the terminal: labels left-aligned, figures right-aligned. */
function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((width, i) => (i === 0 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`;
  return [line(headers), rule, ...rows.map(line)].join("\n");
}

const AI_LABELS = {
  direct: "a. the OpenAI mock, directly",
  passthrough: "b. a bare passthrough worker",
  proxy: "c. the proxy",
  proxy_memory_state: "c, state in isolate memory (no Redis)",
} as const;

const PATH_LABELS: Record<string, string> = {
  ai_proxy_nonstream: "AI proxy, JSON answer",
  ai_proxy_stream: "AI proxy, stream",
  stripe_new: "Stripe, new event",
  stripe_duplicate: "Stripe, duplicate",
  health: "GET /health",
};

/** The proxy's figures against the passthrough worker, one per line under a stable name. */
export function targetLines(ai: Results["ai_proxy"]): string[] {
  const pair = (figures: { memory: number; redis: number }, unit: (n: number) => string) =>
    `memory ${unit(figures.memory)}, redis ${unit(figures.redis)}`;
  const plusMs = (value: number) => `${value >= 0 ? "+" : ""}${ms(value)} ms`;
  return [
    `ai_proxy.cpu_ratio_to_passthrough.json: ${pair(ai.cpu_ratio_to_passthrough.json, times)}`,
    `ai_proxy.cpu_ratio_to_passthrough.stream: ${pair(ai.cpu_ratio_to_passthrough.stream, times)}`,
    `ai_proxy.added_p50_ms: ${pair(ai.added_p50_ms, plusMs)}`,
    `ai_proxy.ttft_over_passthrough_p50_ms: ${pair(ai.ttft_over_passthrough_p50_ms, plusMs)}`,
  ];
}

/** The soak's section: memory as the requests went, and its target line under a stable name. */
function soakSection(
  soak: NonNullable<Results["ai_proxy"]["soak"]>,
  connections: number,
): string[] {
  const base = soak.rss_mib[SOAK_READING_EVERY]!;
  const up = soak.upstream;
  const breaker = soak.openai_breaker_at_end;
  return [
    `AI proxy soak: ${soak.requests} requests through one workerd process (state in Redis), ${connections} connections, ` +
      `in ${soak.seconds.toFixed(0)} s: ${SOAK_MIX}`,
    "",
    table(
      [
        "requests",
        "RSS MiB, as found",
        "RSS MiB, garbage collected",
        "× at 10,000",
        "JS heap MiB, collected",
      ],
      Object.keys(soak.rss_mib).map((requests) => [
        requests,
        soak.rss_as_found_mib[requests]!.toFixed(1),
        soak.rss_mib[requests]!.toFixed(1),
        Number(requests) >= SOAK_READING_EVERY ? times(soak.rss_mib[requests]! / base) : "",
        soak.js_heap_mib[requests]?.toFixed(2) ?? "",
      ]),
    ),
    "",
    `Upstream calls: OpenAI ${up.openai_calls} (${up.openai_failed_on_purpose} failed on purpose), ` +
      `Anthropic ${up.anthropic_calls} (the fallback); OpenAI's breaker at the end: ${breaker.state}, ` +
      `${breaker.transitions} transitions.`,
    "",
    `    ai_proxy.soak.rss_ratio_end_to_10k: ${times(soak.rss_ratio_end_to_10k)} (target ≤ ${SOAK_RSS_TARGET}×)`,
  ];
}

/** The tables the bench prints, in Markdown. */
export function report(results: Results): string {
  const { plan, ai_proxy: ai } = results;
  const load = `${plan.connections} connections, ${plan.rounds} runs of ${plan.loadSeconds} s per path taking turns, medians`;
  const aiRow = (label: string, chat: PathFigures, stream: PathFigures) => [
    label,
    ms(chat.p50_ms),
    ms(chat.p99_ms),
    rps(chat.rps),
    ms(stream.p50_ms),
    ms(stream.p99_ms),
    rps(stream.rps),
  ];
  const ratioRow = (
    label: string,
    chat: { p50: number; p99: number; rps: number },
    stream: typeof chat,
  ) => [
    label,
    times(chat.p50),
    times(chat.p99),
    times(chat.rps),
    times(stream.p50),
    times(stream.p99),
    times(stream.rps),
  ];
  const cpuRow = (label: string, figures: PathFigures) => [
    label,
    ...["workerd", "bench_process", "redis", "postgres", "total"].map((role) =>
      cpu(figures.cpu_ms_per_request[role]!),
    ),
  ];
  const byCommand = (commands: Record<string, number>) =>
    Object.entries(commands)
      .sort(([, a], [, b]) => b - a)
      .map(([name, n]) => `${name} ${count(n)}`)
      .join(", ") || "–";
  const leak = results.breaker_leak;
  const leakRow = (label: string, drive: typeof leak.sequential) => [
    label,
    String(drive.requests),
    String(drive.upstream_calls),
    String(leak.per_isolate_baseline),
    times(drive.ratio_to_baseline),
  ];
  return [
    `Breakwater benchmark, ${results.mode} mode: ${results.machine.cpus} × ${results.machine.cpu}, Node ${results.machine.node}, ${results.date}.`,
    `Latency (p50, p99, TTFT): one request at a time, the paths interleaved. req/s: ${load}.`,
    "Ratios carry over between machines; absolute numbers do not.",
    "",
    `AI proxy: POST /v1/chat/completions, the same request on every path (${plan.chat.requests} each; ${plan.stream.requests} streams, TTFT = first \`data:\` byte)`,
    "",
    table(
      ["path", "p50 ms", "p99 ms", "req/s", "TTFT p50 ms", "TTFT p99 ms", "streams/s"],
      [
        ...(Object.keys(AI_LABELS) as (keyof typeof AI_LABELS)[]).map((path) =>
          aiRow(AI_LABELS[path], ai.nonstream[path], ai.stream_ttft[path]),
        ),
        ratioRow(
          "c/b",
          ai.nonstream.ratio_proxy_to_passthrough,
          ai.stream_ttft.ratio_proxy_to_passthrough,
        ),
        ratioRow("c/a", ai.nonstream.ratio_proxy_to_direct, ai.stream_ttft.ratio_proxy_to_direct),
      ],
    ),
    "",
    `The proxy adds ${ms(ai.overhead_p50_ms)} ms at p50 and ${ms(ai.overhead_p99_ms)} ms at p99 over calling the mock ` +
      `(${ms(ai.overhead_over_passthrough_p50_ms)} / ${ms(ai.overhead_over_passthrough_p99_ms)} ms over the passthrough worker), ` +
      `${ms(ai.ttft_overhead_p50_ms)} / ${ms(ai.ttft_overhead_p99_ms)} ms to the first token; ` +
      `keeping its state in Redis rather than isolate memory accounts for ${ms(ai.redis_state_p50_ms)} ms at p50.`,
    "",
    "Against the bare passthrough worker (the issue's targets: CPU ≤ 1.5× memory / ≤ 2.0× Redis, added p50 ≤ 0.6 / 0.9 ms, TTFT ≤ +1 ms):",
    "",
    ...targetLines(ai).map((line) => `    ${line}`),
    "",
    `CPU per request during the req/s runs, by process, ms`,
    "",
    table(
      [
        "path",
        "workerd",
        "this process (mock, gateways, Miniflare)",
        "redis-server",
        "PostgreSQL",
        "total",
      ],
      [
        ...(Object.keys(AI_LABELS) as (keyof typeof AI_LABELS)[]).map((path) =>
          cpuRow(AI_LABELS[path], ai.nonstream[path]),
        ),
        cpuRow("b, streamed", ai.stream_ttft.passthrough),
        cpuRow("c, streamed", ai.stream_ttft.proxy),
        cpuRow("c, streamed, state in memory", ai.stream_ttft.proxy_memory_state),
        cpuRow(PATH_LABELS.stripe_new!, results.webhooks.stripe_new),
        cpuRow(PATH_LABELS.stripe_duplicate!, results.webhooks.stripe_duplicate),
      ],
    ),
    "",
    `Round trips per request (${plan.counted} requests per path, deferred work included)`,
    "",
    table(
      [
        "path",
        "Redis commands sent",
        "run (scripts' own included)",
        "run, by command",
        "Redis HTTP round trips",
        "Postgres round trips",
      ],
      Object.entries(results.redis_commands_per_request).map(([path, commands]) => [
        PATH_LABELS[path] ?? path,
        count(commands.sent),
        count(commands.run),
        byCommand(commands.by_command),
        count(results.redis_round_trips_per_request[path]!),
        count(results.postgres_round_trips_per_request[path]!),
      ]),
    ),
    "",
    `Webhooks: POST /webhooks/stripe (${plan.webhooks.requests} of each, interleaved)`,
    "",
    table(
      ["Stripe event", "p50 ms", "p99 ms", "req/s"],
      [
        [
          "new",
          ms(results.webhooks.stripe_new.p50_ms),
          ms(results.webhooks.stripe_new.p99_ms),
          rps(results.webhooks.stripe_new.rps),
        ],
        [
          "duplicate",
          ms(results.webhooks.stripe_duplicate.p50_ms),
          ms(results.webhooks.stripe_duplicate.p99_ms),
          rps(results.webhooks.stripe_duplicate.rps),
        ],
      ],
    ),
    "",
    `Breaker leak: ${leak.isolates} isolates (separate workerd processes) on one Redis, one failing upstream, failure threshold ${leak.failure_threshold}`,
    "",
    table(
      [
        "requests after the failure starts",
        "requests",
        "upstream calls",
        `per-isolate baseline (${leak.isolates} × ${leak.failure_threshold})`,
        "ratio",
      ],
      [
        leakRow("one at a time, round robin", leak.sequential),
        leakRow(`${plan.connections} connections`, leak.concurrent),
      ],
    ),
    "",
    ...(ai.soak ? [...soakSection(ai.soak, plan.connections), ""] : []),
    `Runs repeated because Redis fell behind its 150 ms deadline and an isolate answered from memory meanwhile: ` +
      `${ai.runs_repeated_after_redis_fallback} (AI proxy), ${results.webhooks.runs_repeated_after_redis_fallback} (webhooks).`,
    "",
    "Bundle sizes: Cloudflare, wrangler deploy --dry-run",
    "",
    table(
      ["function", "minified KiB", "gzip KiB"],
      Object.entries(results.bundle_kib).map(([name, size]) => [
        name,
        size.minified.toFixed(1),
        size.gzip.toFixed(1),
      ]),
    ),
    "",
    `Cold starts in workerd, ${plan.coldStarts} per worker: fresh isolate to the first response of its smoke request (ms)`,
    "",
    ...coldStartLines(results.cold_start_ms).map((line) => `    ${line}`),
  ].join("\n");
}
