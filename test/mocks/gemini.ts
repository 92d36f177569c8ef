// A local Gemini API (v1beta) with deterministic, realistically shaped answers: generateContent,
// streamGenerateContent (SSE with alt=sse, a JSON array without), batchEmbedContents and the
// model list, behind Google's key check and error bodies.
import {
  type Answer,
  type JsonAnswer,
  type MockOptions,
  type MockServer,
  type RecordedCall,
  startMock,
} from "./harness.ts";
import { sampleOf } from "./structured.ts";
import { sseEvent } from "./wire.ts";

export type { FailMode, MockServer, RecordedCall } from "./harness.ts";

/** The key the mock accepts unless told another. */
export const GEMINI_MOCK_KEY = "gemini-mock-key";

/** The text answer, in the three pieces a stream sends it in. */
export const GEMINI_MOCK_PIECES = ["This is a ", "deterministic answer ", "from the Gemini mock."];

interface Json {
  [key: string]: unknown;
}
type GeminiContent = { role?: string; parts?: Json[] };

const ROUTE =
  /^\/v1beta\/models\/([^:/]+):(generateContent|streamGenerateContent|batchEmbedContents)$/;

function googleError(code: number, status: string, message: string, extra: Json = {}): JsonAnswer {
  return { status: code, json: { error: { code, message, status, ...extra } } };
}

// Google's words for each status a test can ask for (any other gets the 500 body).
const FAILURES: Record<number, JsonAnswer> = {
  500: googleError(
    500,
    "INTERNAL",
    "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  ),
  503: googleError(503, "UNAVAILABLE", "The model is overloaded. Please try again later."),
  429: googleError(
    429,
    "RESOURCE_EXHAUSTED",
    "You exceeded your current quota, please check your plan and billing details.",
    { details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "1s" }] },
  ),
  401: googleError(
    401,
    "UNAUTHENTICATED",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
  ),
  400: googleError(400, "INVALID_ARGUMENT", "Request contains an invalid argument."),
};

// What Google answers for a missing key (403) and for a wrong one (400, reason API_KEY_INVALID).
function authFailure(key: string | undefined): JsonAnswer {
  if (key === undefined) {
    return googleError(
      403,
      "PERMISSION_DENIED",
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  return googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.", {
    details: [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
    ],
  });
}

const words = (text: string) => text.split(/\s+/).filter(Boolean).length;

function textOf(contents: GeminiContent[]): string {
  return contents
    .flatMap((c) => (c.parts ?? []).map((p) => (typeof p.text === "string" ? p.text : "")))
    .join(" ");
}

interface Said {
  /** The parts of each stream fragment; generateContent sends them as one. */
  pieces: Json[][];
  finishReason: string;
}

/** A function call (tools and a question about the weather), a reply to a tool, or the text. */
function answerOf(body: Json): Said {
  const contents = (body.contents ?? []) as GeminiContent[];
  const last = contents.at(-1)?.parts ?? [];
  const tools = (body.tools ?? []) as { functionDeclarations?: Json[] }[];
  const declared = tools[0]?.functionDeclarations?.[0];
  // A forced call (mode ANY) is made with arguments fitting the function's schema.
  const calling = ((body.toolConfig as Json | undefined)?.functionCallingConfig ?? {}) as Json;
  if (declared && calling.mode === "ANY") {
    const allowed = (calling.allowedFunctionNames as string[] | undefined)?.[0] ?? declared.name;
    const fn = tools[0]!.functionDeclarations!.find((d) => d.name === allowed) ?? declared;
    const call = { name: fn.name, args: sampleOf(fn.parameters as never) };
    return {
      pieces: [[{ functionCall: call, thoughtSignature: "bW9jay1zaWduYXR1cmU=" }]],
      finishReason: "STOP",
    };
  }
  if (declared && /weather/i.test(textOf(contents.slice(-1)))) {
    const call = { name: declared.name, args: { location: "Paris" } };
    return {
      pieces: [[{ functionCall: call, thoughtSignature: "bW9jay1zaWduYXR1cmU=" }]],
      finishReason: "STOP",
    };
  }
  const config = (body.generationConfig ?? {}) as Json;
  const thought = (config.thinkingConfig as Json | undefined)?.includeThoughts
    ? [{ text: "**Thinking**\n\nA short thought.", thought: true }]
    : [];
  if (config.responseJsonSchema !== undefined) {
    const json = JSON.stringify(sampleOf(config.responseJsonSchema as never));
    return { pieces: [[...thought, { text: json }]], finishReason: "STOP" };
  }
  const result = last.find((part) => part.functionResponse)?.functionResponse as Json | undefined;
  const text = result
    ? [`The tool answered ${JSON.stringify(result.response)}.`]
    : GEMINI_MOCK_PIECES;
  const max = (body.generationConfig as Json | undefined)?.maxOutputTokens;
  if (typeof max === "number" && max < words(text.join(""))) {
    const cut = text.join("").split(" ").slice(0, max).join(" ");
    return { pieces: [[{ text: cut }]], finishReason: "MAX_TOKENS" };
  }
  const pieces = text.map((piece) => [{ text: piece }] as Json[]);
  pieces[0]!.unshift(...thought);
  return { pieces, finishReason: "STOP" };
}

/** One response per piece, each with every candidate; the last finishes and has full usage. */
function responses(model: string, body: Json, { pieces, finishReason }: Said): Json[] {
  const contents = (body.contents ?? []) as GeminiContent[];
  const prompt = words(textOf([(body.systemInstruction ?? {}) as GeminiContent, ...contents])) + 3;
  const n = ((body.generationConfig as Json | undefined)?.candidateCount as number) ?? 1;
  const output =
    n * pieces.flat().reduce((sum, p) => sum + (p.text ? words(String(p.text)) : 4), 0);
  return pieces.map((parts, i) => {
    const last = i === pieces.length - 1;
    const candidates = Array.from({ length: n }, (_, index) => ({
      content: { parts, role: "model" },
      ...(last ? { finishReason } : {}),
      // proto3 JSON leaves out zero values: in a stream the first candidate has no index.
      ...(index > 0 ? { index } : {}),
    }));
    const thoughts = pieces.flat().some((p) => p.thought) ? 5 : 0;
    const usageMetadata = last
      ? {
          promptTokenCount: prompt,
          candidatesTokenCount: output,
          ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
          totalTokenCount: prompt + output + thoughts,
        }
      : { promptTokenCount: prompt, totalTokenCount: prompt };
    return { candidates, usageMetadata, modelVersion: model, responseId: "mock-response-1" };
  });
}

/** What Gemini refuses in the turns: a role it has no word for, a replayed call without its signature. */
function refusedContents(contents: GeminiContent[]): JsonAnswer | undefined {
  for (const [i, content] of contents.entries()) {
    if (content.role !== undefined && content.role !== "user" && content.role !== "model") {
      return googleError(400, "INVALID_ARGUMENT", "Please use a valid role: user, model.");
    }
    const call = (content.parts ?? []).findIndex((p) => p.functionCall && !p.thoughtSignature);
    if (content.role === "model" && call >= 0) {
      return googleError(
        400,
        "INVALID_ARGUMENT",
        `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${String((content.parts![call]!.functionCall as Json).name)}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
      );
    }
  }
  return undefined;
}

function generate(model: string, body: Json, streaming: boolean, sse: boolean): Answer {
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return googleError(
      400,
      "INVALID_ARGUMENT",
      "* GenerateContentRequest.contents: contents is not specified\n",
    );
  }
  const refused = refusedContents(body.contents as GeminiContent[]);
  if (refused) return refused;
  const answer = answerOf(body);
  if (streaming) {
    const events = responses(model, body, answer);
    return sse
      ? { sse: events.map((event) => sseEvent(event, undefined, "\r\n")) }
      : { status: 200, json: events };
  }
  // generateContent answers in one piece, its text in one part.
  const thoughts = answer.pieces.flat().filter((part) => part.thought);
  const parts = answer.pieces.flat().filter((part) => !part.thought);
  const texts = parts.every((part) => typeof part.text === "string");
  const joined = texts ? [{ text: parts.map((part) => part.text).join("") }] : parts;
  const whole = [[...thoughts, ...joined]];
  const [json] = responses(model, body, { ...answer, pieces: whole });
  const candidates = (json!.candidates as Json[]).map((candidate, index) => ({
    ...candidate,
    index,
  }));
  return { status: 200, json: { ...json, candidates } };
}

/** A fixed small vector per input: the same text always embeds the same way. */
function vector(text: string, size: number): number[] {
  const seed = [...text].reduce((sum, char) => sum + char.charCodeAt(0), 0);
  return Array.from(
    { length: size },
    (_, j) => Math.round((((seed * (j + 7)) % 997) / 997 - 0.5) * 1e6) / 1e6,
  );
}

function embed(model: string, body: Json): JsonAnswer {
  const requests = (Array.isArray(body.requests) ? body.requests : []) as Json[];
  const wrong = requests.findIndex((request) => request.model !== `models/${model}`);
  if (requests.length === 0 || wrong >= 0) {
    return googleError(
      400,
      "INVALID_ARGUMENT",
      `* BatchEmbedContentsRequest.requests[${Math.max(wrong, 0)}].model: model must match models/${model}\n`,
    );
  }
  const embeddings = requests.map((request) => {
    const text = textOf([request.content as GeminiContent]);
    const size =
      typeof request.outputDimensionality === "number" ? request.outputDimensionality : 8;
    return { values: vector(text, size) };
  });
  return { status: 200, json: { embeddings } };
}

const listed = (id: string, displayName: string, methods: string[]) => ({
  name: `models/${id}`,
  version: "001",
  displayName,
  supportedGenerationMethods: methods,
});

const MODELS = [
  listed("gemini-2.5-flash", "Gemini 2.5 Flash", ["generateContent", "countTokens"]),
  listed("gemini-embedding-001", "Gemini Embedding 001", ["embedContent", "countTokens"]),
];

function answer(call: RecordedCall, apiKey: string): Answer {
  const key = call.headers["x-goog-api-key"];
  if (key !== apiKey) return authFailure(key);
  if (call.method === "GET" && call.path === "/v1beta/models") {
    const size = Number(call.query.pageSize ?? MODELS.length);
    return {
      status: 200,
      json: {
        models: MODELS.slice(0, size),
        ...(size < MODELS.length ? { nextPageToken: "Ch5tb2RlbHMvZ2VtaW5p" } : {}),
      },
    };
  }
  const route = ROUTE.exec(call.path);
  if (call.method !== "POST" || !route)
    return googleError(404, "NOT_FOUND", `Method not found: ${call.method} ${call.path}`);
  const [, model, method] = route as unknown as [string, string, string];
  if (!MODELS.some((m) => m.name === `models/${model}`)) {
    return googleError(
      404,
      "NOT_FOUND",
      `models/${model} is not found for API version v1beta, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
    );
  }
  const body = (call.body ?? {}) as Json;
  if (method === "batchEmbedContents") return embed(model, body);
  return generate(model, body, method === "streamGenerateContent", call.query.alt === "sse");
}

/** Starts the Gemini mock on a free loopback port. */
export function startGeminiMock(options: MockOptions = {}): Promise<MockServer> {
  const apiKey = options.apiKey ?? GEMINI_MOCK_KEY;
  return startMock(
    {
      answer: (call) => answer(call, apiKey),
      errorBody: (status) => (FAILURES[status] ?? FAILURES[500]!).json,
      jsonType: "application/json; charset=UTF-8",
    },
    { slowMs: options.slowMs },
  );
}
