import OpenAI from "openai";
import { inject } from "vitest";
import { ANTHROPIC_MOCK_KEY, startAnthropicMock } from "../mocks/anthropic.ts";
import { FAL_MOCK_KEY, startFalMock } from "../mocks/fal.ts";
import { GEMINI_MOCK_KEY, startGeminiMock } from "../mocks/gemini.ts";
import { OPENAI_MOCK_KEY, startOpenAiMock } from "../mocks/openai.ts";
import { startWebhookStack } from "./webhook-stack.ts";

export const PROXY_KEY = "bw-e2e-proxy-key-0123456789";

export const ROUTES = {
  "chat-default": [
    "openai:gpt-4o-mini",
    "anthropic:claude-3-5-haiku-latest",
    "gemini:gemini-2.5-flash",
  ],
  claude: ["anthropic:claude-3-5-haiku-latest"],
  gemini: ["gemini:gemini-2.5-flash"],
  embed: ["openai:text-embedding-3-small", "gemini:gemini-embedding-001"],
  "embed-gemini": ["gemini:gemini-embedding-001"],
  image: ["fal:fal-ai/flux/schnell", "openai:dall-e-3"],
};

/**
 * The all-in-one worker in workerd with the four providers pointed at local mocks, real Redis
 * and a fresh PostgreSQL, and short timeouts so hangs fail over in a test's time.
 */
export async function startAiStack(
  bindings: Record<string, string> = {},
  options: { instances?: number } = {},
) {
  const [openai, anthropic, gemini, fal] = await Promise.all([
    startOpenAiMock(),
    startAnthropicMock(),
    startGeminiMock(),
    startFalMock(),
  ]);
  const stack = await startWebhookStack({
    postgresAdminUrl: inject("postgresAdminUrl"),
    upstash: inject("upstash"),
    ...options,
    bindings: {
      OPENAI_API_KEY: OPENAI_MOCK_KEY,
      OPENAI_BASE_URL: openai.url,
      ANTHROPIC_API_KEY: ANTHROPIC_MOCK_KEY,
      ANTHROPIC_BASE_URL: anthropic.url,
      GEMINI_API_KEY: GEMINI_MOCK_KEY,
      GEMINI_BASE_URL: gemini.url,
      FAL_KEY: FAL_MOCK_KEY,
      FAL_BASE_URL: fal.url,
      AI_ROUTES: JSON.stringify(ROUTES),
      PROXY_API_KEYS: PROXY_KEY,
      AI_REQUESTS_PER_MINUTE: "1000",
      AI_ATTEMPT_TIMEOUT_MS: "1500",
      AI_FIRST_TOKEN_TIMEOUT_MS: "1000",
      AI_STREAM_IDLE_TIMEOUT_MS: "1000",
      AI_DEADLINE_MS: "10000",
      ...bindings,
    },
  });
  const client = (apiKey = PROXY_KEY) =>
    new OpenAI({ apiKey, baseURL: `${stack.worker.url}/v1`, maxRetries: 0 });
  return {
    ...stack,
    mocks: { openai, anthropic, gemini, fal },
    client,
    async close() {
      await stack.close();
      await Promise.all([openai.close(), anthropic.close(), gemini.close(), fal.close()]);
    },
  };
}
