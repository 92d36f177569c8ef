// The AI proxy's memory over a long run (full mode only): many proxied requests, JSON and streams
// mixed, some whose upstream fails, through one workerd process with its state in the stack's
// Redis; its resident memory read from Linux's /proc as the requests go, each time as found and
// again once every isolate in the process has collected its garbage (bench/garbage.ts). A proxy
// that keeps something per request (a cache without a bound, a listener never removed, a stream
// never released) grows in the second reading; one that does not levels off after its first
// requests. The first reading alone would say little: V8 collects lazily, and as found a bare
// passthrough worker's memory climbs for tens of thousands of requests before it levels off.
import { readFileSync } from "node:fs";
import { startLocalWorker } from "../dev/local/worker.ts";
import { freePort } from "../dev/services/ports.ts";
import { ANTHROPIC_MOCK_KEY, startAnthropicMock } from "../test/mocks/anthropic.ts";
import type { FailMode, RecordedCall } from "../test/mocks/harness.ts";
import { startOpenAiMock } from "../test/mocks/openai.ts";
import type { LoadProcess } from "./load/index.ts";
import type { RequestSpec } from "./load/jobs.ts";
import { collectGarbage } from "./garbage.ts";
import { expectStatus, settle } from "./measure.ts";
import type { Plan } from "./plan.ts";
import { type BenchStack, MODEL, PROXY_KEY } from "./stack.ts";

/** Requests between two readings; the first reading is what the end is held against. */
export const SOAK_READING_EVERY = 10_000;

/** The most resident memory may grow by the end over its first reading. */
export const SOAK_RSS_TARGET = 1.2;

const FALLBACK = "anthropic:claude-3-5-haiku-latest";

/**
 * What the OpenAI mock does with a request that says so: fail before answering (the proxy retries
 * once, records the failure against OpenAI's breaker, and Anthropic serves), or break a stream
 * off after its first events (too late to fail over: the caller's stream ends with an error event).
 */
const FAULTS = new Map<string, { stream: boolean; fault: FailMode }>([
  ["Fail with a 500", { stream: false, fault: "500" }],
  ["Fail with a reset connection", { stream: false, fault: "reset" }],
  ["Fail the stream with a 503", { stream: true, fault: "503" }],
  ["Break the stream off", { stream: true, fault: "cut-stream" }],
]);

/** The last message's text of a chat completion request, as the mock received it. */
function lastText(call: RecordedCall): string | undefined {
  const messages = (call.body as { messages?: { content?: unknown }[] } | undefined)?.messages;
  const content = Array.isArray(messages) ? messages.at(-1)?.content : undefined;
  return typeof content === "string" ? content : undefined;
}

function chat(url: string, text: string, stream: boolean): RequestSpec {
  return {
    url,
    method: "POST",
    headers: { authorization: `Bearer ${PROXY_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: "user", content: text }],
      ...(stream ? { stream: true } : {}),
    }),
  };
}

/** What `mix` sends, in words for the report. */
export const SOAK_MIX =
  "3 in 4 JSON, 1 in 4 streams, 1 in 10 meeting a failing upstream (a 500, a reset, a stream's " +
  "503: retried, then served by the fallback; a stream broken off mid-way)";

/**
 * Forty requests, sent in turn: 28 JSON answers, 8 streams, and every tenth one of the faults
 * (2 JSON, 2 streams), so that 1 request in 10 meets a failing upstream. Spread apart, the
 * failures never come five in a row: OpenAI's breaker counts them and stays closed, rather than
 * opening and sending everything to the fallback for a minute.
 */
function mix(url: string): RequestSpec[] {
  const faults = [...FAULTS].map(([text, { stream }]) => chat(url, text, stream));
  return Array.from({ length: 40 }, (_, i) =>
    i % 10 === 5 ? faults[Math.floor(i / 10)]! : chat(url, "Say hi", i % 5 === 2),
  );
}

/** Resident memory of `pid` now (VmRSS), in MiB. */
function residentMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) / 1024;
}

export async function benchSoak(
  stack: BenchStack,
  load: LoadProcess,
  plan: Plan,
  soak: NonNullable<Plan["soak"]>,
) {
  const [openai, anthropic] = await Promise.all([startOpenAiMock(), startAnthropicMock()]);
  openai.failWhen((call) => FAULTS.get(lastText(call) ?? "")?.fault);
  const inspectorPort = await freePort();
  const worker = await startLocalWorker({
    entry: "functions/worker.ts",
    port: await freePort(),
    inspectorPort,
    bindings: {
      ...stack.bindings,
      // Breakers and limits of its own: nothing another section left in Redis.
      STATE_KEY_PREFIX: "bench-soak:",
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_API_KEY: ANTHROPIC_MOCK_KEY,
      ANTHROPIC_BASE_URL: anthropic.url,
      AI_ROUTES: JSON.stringify({ [MODEL]: [`openai:${MODEL}`, FALLBACK] }),
      // On a busy machine some Redis calls miss their deadline and the isolate decides from its
      // fallback state, as it should; a warning for each would be thousands of lines.
      LOG_LEVEL: "error",
    },
  });
  try {
    const pids = stack.roles(worker).workerd!;
    if (pids.length !== 1) throw new Error(`soak: ${pids.length} workerd processes, not 1`);
    const pid = pids[0]!;
    const requests = mix(`${worker.url}/v1/chat/completions`);
    const rss_as_found_mib: Record<string, number> = { 0: residentMiB(pid) };
    const rss_mib: Record<string, number> = { 0: residentMiB(pid) };
    const js_heap_mib: Record<string, number> = {};
    const started = performance.now();
    for (let sent = 0; sent < soak.requests; sent += SOAK_READING_EVERY) {
      const run = await load.run({
        kind: "load",
        spec: requests[0]!,
        mix: requests,
        connections: plan.connections,
        amount: SOAK_READING_EVERY,
      });
      expectStatus(`soak, requests ${sent} to ${sent + SOAK_READING_EVERY}`, run.statuses);
      if (run.errors > 0) throw new Error(`soak: ${run.errors} connection errors`);
      // Usage rows and breaker reports go after each answer: what they hold counts too.
      await settle();
      rss_as_found_mib[sent + SOAK_READING_EVERY] = residentMiB(pid);
      js_heap_mib[sent + SOAK_READING_EVERY] = await collectGarbage(inspectorPort);
      await settle();
      rss_mib[sent + SOAK_READING_EVERY] = residentMiB(pid);
    }
    // From the first request to the last reading, the collections included.
    const seconds = (performance.now() - started) / 1000;
    const breakers = (await (await fetch(`${worker.url}/health/breakers`)).json()) as {
      breakers: { name: string; state: string; generation: number }[];
    };
    const breaker = breakers.breakers.find((b) => b.name === "openai");
    const faulted = openai.calls().filter((call) => FAULTS.has(lastText(call) ?? "")).length;
    return {
      requests: soak.requests,
      seconds,
      rss_as_found_mib,
      rss_mib,
      js_heap_mib,
      rss_ratio_end_to_10k: rss_mib[soak.requests]! / rss_mib[SOAK_READING_EVERY]!,
      upstream: {
        openai_calls: openai.calls().length,
        openai_failed_on_purpose: faulted,
        anthropic_calls: anthropic.calls().length,
      },
      // Each transition bumps a breaker's generation: 0 means it never opened.
      openai_breaker_at_end: {
        state: breaker?.state ?? "none",
        transitions: breaker?.generation ?? 0,
      },
    };
  } finally {
    await worker.dispose();
    await Promise.all([openai.close(), anthropic.close()]);
  }
}
