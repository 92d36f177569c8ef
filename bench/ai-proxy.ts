// The AI proxy's overhead: one chat completion sent (a) to the OpenAI mock directly, (b) through
// a bare passthrough worker in workerd, the runtime's own floor, and (c) through the proxy; plus
// (c) with its state in isolate memory instead of Redis, which says how much of c − b is Redis.
import { startLocalWorker } from "../dev/local/worker.ts";
import { freePort } from "../dev/services/ports.ts";
import { OPENAI_MOCK_KEY } from "../test/mocks/openai.ts";
import type { LoadProcess } from "./load/index.ts";
import type { RequestSpec } from "./load/jobs.ts";
import { type PathFigures, measurePaths, owed, ratio } from "./measure.ts";
import type { Plan } from "./plan.ts";
import type { RedisCommandsPerRequest } from "./round-trips.ts";
import { type BenchStack, MODEL, PROXY_KEY } from "./stack.ts";

type AiPath = "direct" | "passthrough" | "proxy" | "proxy_memory_state";

/**
 * The same request for every path: only the key differs (the mock's, or a proxy key). A short
 * message: the mock streams its echo an event every 5 ms, and what is timed is the first one.
 */
export function chatSpec(url: string, key: string, stream: boolean): RequestSpec {
  return {
    url,
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      ...(stream ? { stream: true } : {}),
    }),
  };
}

/** workerd CPU per request of the proxy over the passthrough worker's: the billed cost. */
const cpuRatio = (proxy: PathFigures, passthrough: PathFigures) =>
  proxy.cpu_ms_per_request.workerd! / passthrough.cpu_ms_per_request.workerd!;

function section(figures: Record<AiPath, PathFigures>) {
  return {
    ...figures,
    ratio_proxy_to_passthrough: ratio(figures.proxy, figures.passthrough),
    ratio_proxy_to_direct: ratio(figures.proxy, figures.direct),
  };
}

export async function benchAiProxy(
  stack: BenchStack,
  load: LoadProcess,
  plan: Plan,
  commands: RedisCommandsPerRequest,
) {
  const upstream = `${stack.openai.url}/chat/completions`;
  const {
    UPSTASH_REDIS_REST_URL: _url,
    UPSTASH_REDIS_REST_TOKEN: _token,
    ...memoryBindings
  } = stack.bindings;
  // One at a time: startLocalWorker bundles every worker of an entry into the same file.
  const passthrough = await startLocalWorker({
    entry: "test/fixtures/passthrough-worker.ts",
    port: await freePort(),
    bindings: { UPSTREAM_URL: upstream },
  });
  const memory = await startLocalWorker({
    entry: "functions/worker.ts",
    port: await freePort(),
    bindings: memoryBindings,
  }).catch(async (error: unknown) => {
    await passthrough.dispose();
    throw error;
  });
  try {
    const specs = (stream: boolean): Record<AiPath, RequestSpec> => ({
      direct: chatSpec(upstream, OPENAI_MOCK_KEY, stream),
      passthrough: chatSpec(`${passthrough.url}/`, OPENAI_MOCK_KEY, stream),
      proxy: chatSpec(`${stack.worker.url}/v1/chat/completions`, PROXY_KEY, stream),
      proxy_memory_state: chatSpec(`${memory.url}/v1/chat/completions`, PROXY_KEY, stream),
    });
    const workers = {
      direct: undefined,
      passthrough,
      proxy: stack.worker,
      proxy_memory_state: memory,
    };
    const chat = await measurePaths(stack, load, plan, {
      specs: specs(false),
      probe: plan.chat,
      metric: "total",
      workers,
      redisCommands: { proxy: owed(commands.ai_proxy_nonstream!.run) },
    });
    const ttft = await measurePaths(stack, load, plan, {
      specs: specs(true),
      probe: plan.stream,
      metric: "firstData",
      workers,
      redisCommands: { proxy: owed(commands.ai_proxy_stream!.run) },
    });
    const nonstream = chat.figures;
    const stream = ttft.figures;
    return {
      cpu_ratio_to_passthrough: {
        json: {
          memory: cpuRatio(nonstream.proxy_memory_state, nonstream.passthrough),
          redis: cpuRatio(nonstream.proxy, nonstream.passthrough),
        },
        stream: {
          memory: cpuRatio(stream.proxy_memory_state, stream.passthrough),
          redis: cpuRatio(stream.proxy, stream.passthrough),
        },
      },
      overhead_p50_ms: nonstream.proxy.p50_ms - nonstream.direct.p50_ms,
      overhead_p99_ms: nonstream.proxy.p99_ms - nonstream.direct.p99_ms,
      overhead_over_passthrough_p50_ms: nonstream.proxy.p50_ms - nonstream.passthrough.p50_ms,
      overhead_over_passthrough_p99_ms: nonstream.proxy.p99_ms - nonstream.passthrough.p99_ms,
      redis_state_p50_ms: nonstream.proxy.p50_ms - nonstream.proxy_memory_state.p50_ms,
      added_p50_ms: {
        memory: nonstream.proxy_memory_state.p50_ms - nonstream.passthrough.p50_ms,
        redis: nonstream.proxy.p50_ms - nonstream.passthrough.p50_ms,
      },
      ttft_over_passthrough_p50_ms: {
        memory: stream.proxy_memory_state.p50_ms - stream.passthrough.p50_ms,
        redis: stream.proxy.p50_ms - stream.passthrough.p50_ms,
      },
      ttft_overhead_p50_ms: stream.proxy.p50_ms - stream.direct.p50_ms,
      ttft_overhead_p99_ms: stream.proxy.p99_ms - stream.direct.p99_ms,
      nonstream: section(nonstream),
      stream_ttft: section(stream),
      runs_repeated_after_redis_fallback: chat.repeated + ttft.repeated,
    };
  } finally {
    await memory.dispose();
    await passthrough.dispose();
  }
}
