import { describe, expect, test } from "vitest";
import {
  MAX_ENTRY_BYTES,
  cacheAge,
  cacheEntry,
  cacheKey,
  readEntry,
} from "../../../functions/ai-proxy/cache.ts";
import { completionAssembler, replayStream } from "../../../functions/ai-proxy/cache-stream.ts";
import type { CallerKey } from "../../../functions/ai-proxy/keys.ts";
import { isAppError } from "../../../shared/http/errors.ts";
import type { ChatChunk, ChatCompletion } from "../../../shared/providers/types.ts";

const caller = (fields: Partial<CallerKey> = {}): CallerKey => ({
  id: "key_a",
  requestsPerMinute: 60,
  tokensPerMinute: undefined,
  allowDirectModels: false,
  ...fields,
});

describe("how long an answer is cached", () => {
  const route = { maxAgeSec: 600, shared: false };
  test.each([
    ["nothing enables it", { header: undefined, route: undefined, caller: caller() }, undefined],
    ["the route enables it", { header: undefined, route, caller: caller() }, 600],
    [
      "the key's age wins over the route's",
      { header: undefined, route, caller: caller({ cacheMaxAgeSec: 30 }) },
      30,
    ],
    [
      "the request's own age wins",
      { header: "max-age=45", route, caller: caller({ cacheMaxAgeSec: 30 }) },
      45,
    ],
    [
      "the request alone enables it",
      { header: "max-age=45", route: undefined, caller: caller() },
      45,
    ],
    [
      "no-store skips it where the route and key enable it",
      { header: "no-store", route, caller: caller({ cacheMaxAgeSec: 30 }) },
      undefined,
    ],
    [
      "AI_CACHE_MAX_AGE_SEC caps it",
      { header: "max-age=999999", route: undefined, caller: caller() },
      3600,
    ],
    ["max-age=0 caches nothing", { header: "max-age=0", route, caller: caller() }, undefined],
  ])("%s", (_, request, age) => {
    expect(cacheAge({ ...request, capSec: 3600 })).toBe(age);
  });

  test.each(["max-age=-1", "max-age=abc", "forever", "max-age=1, no-store"])(
    "a header of %j is a 400",
    (header) => {
      let error: unknown;
      try {
        cacheAge({ header, route: undefined, caller: caller(), capSec: 3600 });
      } catch (caught) {
        error = caught;
      }
      expect(isAppError(error) && [error.status, error.code]).toEqual([
        400,
        "invalid_cache_header",
      ]);
    },
  );
});

describe("the entry a request maps to", () => {
  const body = { model: "chat", messages: [{ role: "user", content: "hi" }], temperature: 0 };
  const key = (fields: Partial<Parameters<typeof cacheKey>[0]> = {}) =>
    cacheKey({
      prefix: "bw:",
      endpoint: "chat",
      model: "chat",
      body,
      caller: caller(),
      route: undefined,
      ...fields,
    });

  test("is the same for the same request, whatever the key order or stream flag", async () => {
    const reordered = {
      temperature: 0,
      messages: body.messages,
      model: "chat",
      stream: true,
      stream_options: { include_usage: true },
    };
    expect(await key({ body: reordered })).toBe(await key());
  });

  test("differs for other parameters, messages or endpoints", async () => {
    const base = await key();
    expect(await key({ body: { ...body, temperature: 1 } })).not.toBe(base);
    expect(await key({ body: { ...body, messages: [{ role: "user", content: "ho" }] } })).not.toBe(
      base,
    );
    expect(await key({ endpoint: "embeddings" })).not.toBe(base);
  });

  test("is never shared between keys unless the route says so", async () => {
    expect(await key({ caller: caller({ id: "key_b" }) })).not.toBe(await key());
    const shared = { maxAgeSec: 60, shared: true };
    expect(await key({ caller: caller({ id: "key_b" }), route: shared })).toBe(
      await key({ route: shared }),
    );
  });

  test("holds a digest, not the key or the request", async () => {
    expect(await key()).toMatch(/^bw:cache:[0-9a-f]{64}$/);
  });
});

test("an entry over the size cap is not kept", () => {
  const small = { provider: "openai:gpt-4o-mini", body: { id: "x" } };
  expect(readEntry(cacheEntry(small)!)).toEqual(small);
  expect(cacheEntry({ ...small, body: { pad: "x".repeat(MAX_ENTRY_BYTES) } })).toBeUndefined();
  expect(readEntry("not json")).toBeUndefined();
  expect(readEntry(null)).toBeUndefined();
});

const completion: ChatCompletion = {
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "chat",
  choices: [
    { index: 0, message: { role: "assistant", content: "Hello there" }, finish_reason: "stop" },
    {
      index: 1,
      message: {
        role: "assistant",
        content: null,
        tool_calls: [
          {
            id: "call_1",
            type: "function",
            function: { name: "get_weather", arguments: '{"location":"Paris"}' },
          },
        ],
      },
      finish_reason: "tool_calls",
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
};

async function events(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const text = await new Response(stream).text();
  return text
    .split("\n\n")
    .filter(Boolean)
    .map((event) => event.replace(/^data: /, ""));
}

test("a replayed stream is chunks in OpenAI's shape, usage when asked, then [DONE]", async () => {
  const replayed = await events(replayStream(completion, { includeUsage: true }));
  expect(replayed.at(-1)).toBe("[DONE]");
  const chunks = replayed.slice(0, -1).map((e) => JSON.parse(e) as ChatChunk);
  expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.id === "chatcmpl-1")).toBe(
    true,
  );
  expect(chunks.at(-1)).toMatchObject({ choices: [], usage: completion.usage });
  const withoutUsage = await events(replayStream(completion, { includeUsage: false }));
  expect(withoutUsage.some((e) => e.includes('"usage"'))).toBe(false);
});

test("assembling a replayed stream gives back the completion", async () => {
  const assembler = completionAssembler();
  for (const event of (await events(replayStream(completion, { includeUsage: true }))).slice(
    0,
    -1,
  )) {
    assembler.add(JSON.parse(event) as ChatChunk);
  }
  expect(assembler.completion()).toEqual(completion);
});

test("a stream whose choice never finished assembles to nothing", () => {
  const assembler = completionAssembler();
  assembler.add({
    id: "c",
    object: "chat.completion.chunk",
    created: 1,
    model: "chat",
    choices: [{ index: 0, delta: { content: "Hel" }, finish_reason: null }],
  });
  expect(assembler.completion()).toBeUndefined();
});
