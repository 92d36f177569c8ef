import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { generatedPrices, OUTPUT } from "../../../dev/build/prices.ts";
import { PRICES_SOURCE } from "../../../shared/providers/prices.generated.ts";
import { costOf, priceOf } from "../../../shared/providers/prices.ts";

test("the generated prices are those of the installed @pydantic/genai-prices, version recorded", async () => {
  expect(readFileSync(OUTPUT, "utf8")).toBe(await generatedPrices());
  const { version } = JSON.parse(
    readFileSync(
      new URL("../../../node_modules/@pydantic/genai-prices/package.json", import.meta.url),
      "utf8",
    ),
  ) as { version: string };
  expect(PRICES_SOURCE).toBe(`@pydantic/genai-prices@${version}`);
});

test("current OpenAI, Anthropic and Gemini models are priced, cache reads and writes included", () => {
  expect(priceOf("anthropic", "claude-3-5-haiku-latest")).toEqual({
    input: 0.8,
    output: 4,
    cacheRead: 0.08,
    cacheWrite: 1,
  });
  for (const [provider, model] of [
    ["openai", "gpt-4o-mini"],
    ["openai", "text-embedding-3-small"],
    ["anthropic", "claude-sonnet-4-5"],
    ["gemini", "gemini-2.5-flash"],
  ] as const) {
    expect(priceOf(provider, model)?.input, `${provider}:${model}`).toBeGreaterThan(0);
  }
  expect(priceOf("gemini", "no-such-model")).toBeUndefined();
});

test("uncached input, cache reads, cache writes and output are each charged at their rate", () => {
  const price = { input: 1, output: 10, cacheRead: 0.1, cacheWrite: 2 };
  const usage = {
    prompt_tokens: 1_000_000,
    completion_tokens: 100_000,
    total_tokens: 1_100_000,
    prompt_tokens_details: { cached_tokens: 500_000, cache_write_tokens: 250_000 },
  };
  // 250k uncached × 1 + 500k × 0.1 + 250k × 2 + 100k × 10, per million.
  expect(costOf(price, usage)).toBeCloseTo(0.25 + 0.05 + 0.5 + 1, 10);
});
