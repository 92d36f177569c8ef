// The clients people point at a gateway, unmodified, against the proxy in workerd with every
// provider a local mock: the openai SDK, the Anthropic SDK and the Vercel AI SDK, each call
// against each provider's route. What passes is the support matrix of docs/ai-proxy.md.
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { generateObject, generateText, stepCountIs, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { mockInputTokens } from "../mocks/anthropic.ts";
import { PROXY_KEY, startAiStack } from "./ai-stack.ts";
import { post as postEarly } from "./webhook-stack.ts";
import { PROVIDERS, type ProviderName, supportMatrix, syncMatrix } from "./support-matrix.ts";

let ai: Awaited<ReturnType<typeof startAiStack>>;
const matrix = supportMatrix();
beforeAll(async () => {
  // Each provider's models by their direct provider:model names.
  ai = await startAiStack({ AI_ALLOW_DIRECT_MODELS: "true" });
}, 30_000);
afterAll(async () => {
  await ai.close();
  const docs = new URL("../../docs/ai-proxy.md", import.meta.url);
  expect(
    await syncMatrix(docs, matrix.markdown()),
    "docs/ai-proxy.md's matrix (UPDATE_SUPPORT_MATRIX=1)",
  ).toBe(true);
});

const CHAT: Record<ProviderName, string> = {
  openai: "openai:gpt-4o-mini",
  anthropic: "anthropic:claude-3-5-haiku-latest",
  gemini: "gemini:gemini-2.5-flash",
};
const EMBED: Partial<Record<ProviderName, string>> = {
  openai: "openai:text-embedding-3-small",
  gemini: "gemini:gemini-embedding-001",
};
const WEATHER = "What is the weather in Paris?";
const weatherTool = {
  type: "function" as const,
  name: "get_weather",
  parameters: { type: "object", properties: { location: { type: "string" } } },
  strict: false,
};
const anthropicClient = () =>
  new Anthropic({ apiKey: PROXY_KEY, baseURL: ai.worker.url, maxRetries: 0 });
const vercel = {
  openai: () => createOpenAI({ apiKey: PROXY_KEY, baseURL: `${ai.worker.url}/v1` }),
  anthropic: () => createAnthropic({ apiKey: PROXY_KEY, baseURL: `${ai.worker.url}/v1` }),
};

describe.each(PROVIDERS)("served by %s", (provider) => {
  const model = CHAT[provider];
  const prove = (row: string, check: () => Promise<void>) => matrix.prove(row, provider, check);

  test("openai: chat.completions.create", () =>
    prove("openai · chat.completions.create", async () => {
      const completion = await ai.client().chat.completions.create({
        model,
        messages: [{ role: "user", content: "hello" }],
      });
      expect(completion.choices[0]!.message.content).toBeTruthy();
      expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    }));

  test("openai: responses.create", () =>
    prove("openai · responses.create", async () => {
      const response = await ai.client().responses.create({ model, input: "hello" });
      expect(response.status).toBe("completed");
      expect(response.output_text).toBeTruthy();
      expect(response.usage!.input_tokens).toBeGreaterThan(0);
    }));

  test("openai: responses.stream() helper", () =>
    prove("openai · responses.stream() helper", async () => {
      const stream = ai.client().responses.stream({ model, input: "hello" });
      let deltas = "";
      stream.on("response.output_text.delta", (event) => (deltas += event.delta));
      const response = await stream.finalResponse();
      expect(response.output_text).toBe(deltas);
      expect(deltas).toBeTruthy();
      expect(response.usage!.output_tokens).toBeGreaterThan(0);
    }));

  test("openai: responses.create with a function tool, round trip", () =>
    prove("openai · responses function call → function_call_output", async () => {
      const client = ai.client();
      const first = await client.responses.create({ model, input: WEATHER, tools: [weatherTool] });
      const call = first.output.find((item) => item.type === "function_call");
      expect(call).toMatchObject({ type: "function_call", name: "get_weather" });
      expect(JSON.parse((call as { arguments: string }).arguments)).toEqual({ location: "Paris" });
      const second = await client.responses.create({
        model,
        tools: [weatherTool],
        input: [
          { role: "user", content: WEATHER },
          call!,
          { type: "function_call_output", call_id: call!.call_id, output: '{"temperature":21}' },
        ],
      });
      expect(second.output_text).toMatch(/21/);
    }));

  test("openai: default embeddings.create (base64 on the wire)", async () => {
    const embedModel = EMBED[provider];
    if (!embedModel) return;
    await prove("openai · embeddings.create (default base64)", async () => {
      const client = ai.client();
      const input = ["first text", "second text"];
      const decoded = await client.embeddings.create({ model: embedModel, input });
      const floats = await client.embeddings.create({
        model: embedModel,
        input,
        encoding_format: "float",
      });
      expect(decoded.data.map((d) => [...d.embedding])).toEqual(
        floats.data.map((d) => d.embedding.map(Math.fround)),
      );
    });
  });

  test("anthropic: messages.create", () =>
    prove("anthropic · messages.create", async () => {
      const message = await anthropicClient().messages.create({
        model,
        max_tokens: 100,
        messages: [{ role: "user", content: "hello" }],
      });
      expect(message.content[0]).toMatchObject({ type: "text", text: expect.any(String) });
      expect(message.usage.output_tokens).toBeGreaterThan(0);
    }));

  test("anthropic: messages.stream() helper", () =>
    prove("anthropic · messages.stream() helper", async () => {
      const stream = anthropicClient().messages.stream({
        model,
        max_tokens: 100,
        messages: [{ role: "user", content: "hello" }],
      });
      let deltas = "";
      stream.on("text", (text) => (deltas += text));
      const message = await stream.finalMessage();
      expect(message.content.find((b) => b.type === "text")).toMatchObject({ text: deltas });
      expect(message.stop_reason).toBe("end_turn");
      expect(message.usage.input_tokens + message.usage.output_tokens).toBeGreaterThan(0);
    }));

  test("anthropic: tool_use and tool_result, round trip", () =>
    prove("anthropic · tool_use → tool_result", async () => {
      const client = anthropicClient();
      const tools = [
        {
          name: "get_weather",
          input_schema: { type: "object" as const, properties: { location: { type: "string" } } },
        },
      ];
      const messages: Anthropic.MessageParam[] = [{ role: "user", content: WEATHER }];
      const first = await client.messages.create({ model, max_tokens: 100, tools, messages });
      const use = first.content.find((block) => block.type === "tool_use");
      expect(first.stop_reason).toBe("tool_use");
      expect(use).toMatchObject({ name: "get_weather", input: { location: "Paris" } });
      const second = await client.messages.create({
        model,
        max_tokens: 100,
        tools,
        messages: [
          ...messages,
          { role: "assistant", content: first.content },
          {
            role: "user",
            content: [{ type: "tool_result", tool_use_id: use!.id, content: "21 degrees" }],
          },
        ],
      });
      expect(second.content.find((b) => b.type === "text")).toMatchObject({
        text: expect.stringMatching(/21/),
      });
    }));

  test("anthropic: messages.countTokens", async () => {
    const params = {
      model,
      system: "Be brief.",
      messages: [{ role: "user" as const, content: "hello" }],
    };
    if (provider !== "anthropic") {
      // Only Anthropic counts tokens: a route without it is refused, never estimated.
      const error = await anthropicClient()
        .messages.countTokens(params)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.BadRequestError);
      expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
        type: "error",
        error: { type: "invalid_request_error", message: expect.stringMatching(/Anthropic/) },
      });
      return;
    }
    await prove("anthropic · messages.countTokens", async () => {
      const { input_tokens } = await anthropicClient().messages.countTokens(params);
      expect(input_tokens).toBe(mockInputTokens(params));
    });
  });

  describe.each(["openai", "anthropic"] as const)("ai with @ai-sdk/%s", (sdk) => {
    const lm = () => vercel[sdk]()(model);
    const row = (call: string) => `ai + @ai-sdk/${sdk} · ${call}`;

    test("generateText", () =>
      prove(row("generateText"), async () => {
        const result = await generateText({ model: lm(), prompt: "hello" });
        expect(result.text).toBeTruthy();
        expect(result.usage.inputTokens).toBeGreaterThan(0);
      }));

    test("streamText", () =>
      prove(row("streamText"), async () => {
        const result = streamText({ model: lm(), prompt: "hello" });
        let text = "";
        for await (const piece of result.textStream) text += piece;
        expect(text).toBeTruthy();
        expect((await result.usage).outputTokens).toBeGreaterThan(0);
      }));

    test("generateObject", () =>
      prove(row("generateObject"), async () => {
        const result = await generateObject({
          model: lm(),
          schema: z.object({ city: z.string(), sunny: z.boolean() }),
          prompt: "Where is it sunny?",
        });
        expect(result.object).toEqual({ city: "Paris", sunny: true });
      }));

    test("a multi-step tool loop", () =>
      prove(row("multi-step tool loop"), async () => {
        const calls: string[] = [];
        const result = await generateText({
          model: lm(),
          prompt: WEATHER,
          tools: {
            get_weather: tool({
              inputSchema: z.object({ location: z.string() }),
              execute: async ({ location }) => {
                calls.push(location);
                return { location, temperature: 21 };
              },
            }),
          },
          stopWhen: stepCountIs(3),
          // The proxy stores nothing: earlier items are sent whole, not referenced by id.
          providerOptions: { openai: { store: false } },
        });
        expect(calls).toEqual(["Paris"]);
        expect(result.steps.length).toBe(2);
        expect(result.text).toMatch(/21/);
      }));
  });
});

describe("the Anthropic SDK's errors and model list", () => {
  test("a missing max_tokens is Anthropic's 400 invalid_request_error", async () => {
    const error = await anthropicClient()
      .messages.create({
        model: CHAT.anthropic,
        messages: [{ role: "user", content: "hi" }],
      } as never)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringMatching(/max_tokens/) },
    });
  });

  test("a wrong key in x-api-key is Anthropic's 401 authentication_error", async () => {
    const client = new Anthropic({ apiKey: "wrong", baseURL: ai.worker.url, maxRetries: 0 });
    const error = await client.messages
      .create({
        model: CHAT.anthropic,
        max_tokens: 10,
        messages: [{ role: "user", content: "hi" }],
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  test("models.list of both SDKs reads the proxy's model list", async () => {
    const anthropicIds = [];
    for await (const model of anthropicClient().models.list()) anthropicIds.push(model.id);
    const openaiIds = [];
    for await (const model of ai.client().models.list()) openaiIds.push(model.id);
    expect(anthropicIds).toContain("claude");
    expect(openaiIds).toEqual(anthropicIds);
  });
});

describe("POST /v1/messages/count_tokens", () => {
  const url = () => `${ai.worker.url}/v1/messages/count_tokens`;
  const turns = [{ role: "user" as const, content: "hello" }];
  const count = (body: unknown, headers: Record<string, string> = { "x-api-key": PROXY_KEY }) =>
    fetch(url(), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
        ...headers,
      },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const anthropicCalls = () => ai.mocks.anthropic.calls().length;

  test("a route whose chain has Anthropic after other providers counts with its Anthropic link", async () => {
    const openaiBefore = ai.mocks.openai.calls().length;
    const geminiBefore = ai.mocks.gemini.calls().length;
    const { data, response } = await anthropicClient()
      .messages.countTokens({ model: "chat-default", messages: turns })
      .withResponse();
    expect(data.input_tokens).toBe(mockInputTokens({ messages: turns }));
    expect(response.headers.get("x-breakwater-provider")).toBe("anthropic:claude-3-5-haiku-latest");
    expect(response.headers.get("x-breakwater-attempts")).toBe("1");
    expect(ai.mocks.openai.calls().length).toBe(openaiBefore);
    expect(ai.mocks.gemini.calls().length).toBe(geminiBefore);
    const upstream = ai.mocks.anthropic.calls().at(-1)!;
    expect(upstream.path).toBe("/v1/messages/count_tokens");
    expect(upstream.body).toEqual({ model: "claude-3-5-haiku-latest", messages: turns });
  });

  test("the proxy key works as a bearer token too, and the same count comes back for the same request", async () => {
    const body = { model: "claude", messages: turns };
    const viaHeader = await count(body);
    const viaBearer = await count(body, { authorization: `Bearer ${PROXY_KEY}` });
    expect(viaHeader.status).toBe(200);
    expect(viaBearer.status).toBe(200);
    expect(await viaBearer.json()).toEqual(await viaHeader.json());
  });

  test("an unknown model is Anthropic's 404 not_found_error", async () => {
    const error = await anthropicClient()
      .messages.countTokens({ model: "no-such-model", messages: turns })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
  });

  test("a missing or wrong key is Anthropic's 401 before any upstream call", async () => {
    const before = anthropicCalls();
    const keys: Record<string, string>[] = [
      {},
      { "x-api-key": "bw-wrong" },
      { authorization: "Bearer bw-wrong" },
    ];
    for (const headers of keys) {
      const res = await count({ model: "claude", messages: turns }, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        type: "error",
        error: { type: "authentication_error" },
      });
    }
    expect(anthropicCalls()).toBe(before);
  });

  test("malformed JSON, a body that is no count, a wrong content type and an oversize body are 4xx in Anthropic's shape, before any upstream call", async () => {
    const before = anthropicCalls();
    const refusals: [Response, number][] = [
      [await count("{nope"), 400],
      [await count({ messages: turns }), 400],
      [await count({ model: "claude", messages: [] }), 400],
      [await count({ model: "claude", messages: [{ role: "system", content: "x" }] }), 400],
      [await count([{ model: "claude", messages: turns }]), 400],
      [
        await fetch(url(), {
          method: "POST",
          headers: { "x-api-key": PROXY_KEY, "content-type": "text/plain" },
          body: JSON.stringify({ model: "claude", messages: turns }),
        }),
        415,
      ],
      [
        await postEarly(
          url(),
          JSON.stringify({ model: "claude", messages: turns, pad: "x".repeat(5 * 1024 * 1024) }),
          { "x-api-key": PROXY_KEY, "content-type": "application/json" },
        ),
        413,
      ],
    ];
    for (const [res, status] of refusals) {
      expect(res.status).toBe(status);
      expect(await res.json()).toMatchObject({
        type: "error",
        error: { type: status === 413 ? "request_too_large" : "invalid_request_error" },
      });
    }
    expect(anthropicCalls()).toBe(before);
  });

  test("what Anthropic refuses (max_tokens is not a count's) comes back as its 400", async () => {
    const res = await count({ model: "claude", max_tokens: 10, messages: turns });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringMatching(/max_tokens/) },
    });
  });

  test("a count is a request against the key's rate limit, but not usage: no row, no tokens charged, not refused by them", async () => {
    const key = `bw-db-${crypto.randomUUID()}`;
    const hash = Buffer.from(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)),
    ).toString("hex");
    const { rows } = await ai.db.query(
      `insert into api_keys (name, key_hash, requests_per_minute, tokens_per_minute)
       values ('counting', $1, 5, 1) returning id`,
      [hash],
    );
    const keyId = `key_${(rows[0] as { id: string }).id}`;
    const body = { model: "claude", messages: turns };
    const client = new Anthropic({ apiKey: key, baseURL: ai.worker.url, maxRetries: 0 });
    const create = () =>
      client.messages.create({ ...body, max_tokens: 16 }).catch((e: unknown) => e);
    const rowsOfKey = async () =>
      Number(
        (await ai.db.query("select count(*) from ai_usage where key_id = $1", [keyId])).rows[0]
          .count,
      );

    expect((await count(body, { "x-api-key": key })).status).toBe(200);
    expect((await count(body, { "x-api-key": key })).status).toBe(200);
    // Had the counts charged their tokens, this key (1 token a minute) would be refused here.
    expect(await create()).toMatchObject({ type: "message" });
    for (let i = 0; i < 50 && (await rowsOfKey()) === 0; i++) await sleep(50);
    await sleep(200); // the answer's tokens reach the key's counter
    const overTokens = await create();
    expect(overTokens).toBeInstanceOf(Anthropic.RateLimitError);
    expect(
      (overTokens as InstanceType<typeof Anthropic.RateLimitError>).headers.get("ratelimit-policy"),
    ).toMatch(/q=1;w=60/);
    // Over its tokens, the key still counts; its fifth and sixth requests meet the limit of 5.
    expect((await count(body, { "x-api-key": key })).status).toBe(200);
    const overRequests = await count(body, { "x-api-key": key });
    expect(overRequests.status).toBe(429);
    expect(overRequests.headers.get("ratelimit-policy")).toMatch(/q=5;w=60/);
    expect(await overRequests.json()).toMatchObject({ error: { type: "rate_limit_error" } });
    await sleep(300);
    // One row, the message's: none for the counts (nor for the refusals, made before any call).
    expect(await rowsOfKey()).toBe(1);
  });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("usage records of the new APIs, streams included", () => {
  async function usageRow(requestId: string | null) {
    for (let i = 0; i < 50; i++) {
      const { rows } = await ai.db.query("select * from ai_usage where request_id = $1", [
        requestId,
      ]);
      if (rows.length > 0) return rows[0] as Record<string, string | number>;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no usage row for ${requestId}`);
  }

  test("a streamed Messages call with cache_control records cached tokens at the cache-read price", async () => {
    const { data: stream, response } = await anthropicClient()
      .messages.stream({
        model: CHAT.anthropic,
        max_tokens: 100,
        system: [
          { type: "text", text: "A long shared context.", cache_control: { type: "ephemeral" } },
        ],
        messages: [{ role: "user", content: "hello" }],
      })
      .withResponse();
    const { usage } = await stream.finalMessage();
    expect(usage.cache_read_input_tokens).toBeGreaterThan(0);
    const row = await usageRow(response.headers.get("x-request-id"));
    const prompt = usage.input_tokens + usage.cache_read_input_tokens!;
    expect(row).toMatchObject({
      prompt_tokens: prompt,
      cached_tokens: usage.cache_read_input_tokens,
    });
    // claude-3-5-haiku: $0.80 input, $0.08 cache read, $4 output per million tokens.
    const cost =
      (usage.input_tokens * 0.8 + usage.cache_read_input_tokens! * 0.08 + usage.output_tokens * 4) /
      1e6;
    expect(Number(row.cost_usd)).toBeCloseTo(cost, 8);
  });

  test("a streamed Responses call served by Gemini with reasoning records its reasoning tokens", async () => {
    const { data: stream, response } = await ai
      .client()
      .responses.create({
        model: CHAT.gemini,
        input: "hello",
        reasoning: { effort: "low" },
        stream: true,
      })
      .withResponse();
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream)
      if (event.type === "response.completed") final = event.response;
    expect(final!.output[0]).toMatchObject({ type: "reasoning" });
    const reasoning = final!.usage!.output_tokens_details.reasoning_tokens;
    expect(reasoning).toBeGreaterThan(0);
    const row = await usageRow(response.headers.get("x-request-id"));
    expect(row).toMatchObject({
      reasoning_tokens: reasoning,
      completion_tokens: final!.usage!.output_tokens,
    });
  });
});
