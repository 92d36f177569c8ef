import { sseData } from "../../shared/providers/sse.ts";
import type { ChatChunk, ChatCompletion, FinishReason } from "../../shared/providers/types.ts";

type Choice = ChatCompletion["choices"][number];
type ToolCall = NonNullable<Choice["message"]["tool_calls"]>[number];

/**
 * Builds the chat completion a stream amounts to, chunk by chunk, so a streamed answer can be
 * cached and replayed to a JSON request as well as to a stream.
 */
export function completionAssembler() {
  let head: Pick<ChatChunk, "id" | "created" | "model"> | undefined;
  let usage: ChatCompletion["usage"];
  const choices = new Map<number, { content: string; finish: FinishReason; tools: ToolCall[] }>();
  return {
    add(chunk: ChatChunk): void {
      head ??= { id: chunk.id, created: chunk.created, model: chunk.model };
      if (chunk.usage) usage = chunk.usage;
      for (const { index, delta, finish_reason } of chunk.choices) {
        let choice = choices.get(index);
        if (!choice) choices.set(index, (choice = { content: "", finish: null, tools: [] }));
        if (typeof delta.content === "string") choice.content += delta.content;
        if (finish_reason) choice.finish = finish_reason;
        for (const call of delta.tool_calls ?? []) {
          const tool = (choice.tools[call.index] ??= {
            id: "",
            type: "function",
            function: { name: "", arguments: "" },
          });
          if (call.id) tool.id = call.id;
          if (call.function?.name) tool.function.name += call.function.name;
          if (call.function?.arguments) tool.function.arguments += call.function.arguments;
        }
      }
    },
    /** The completion, or undefined when some choice never finished (a cut stream). */
    completion(): ChatCompletion | undefined {
      if (!head || choices.size === 0) return undefined;
      const done = [...choices.entries()].sort(([a], [b]) => a - b);
      if (done.some(([, c]) => c.finish === null)) return undefined;
      return {
        ...head,
        object: "chat.completion",
        choices: done.map(([index, c]) => ({
          index,
          message: {
            role: "assistant",
            content: c.content || (c.tools.length ? null : ""),
            ...(c.tools.length ? { tool_calls: c.tools } : {}),
          },
          finish_reason: c.finish,
        })),
        ...(usage ? { usage } : {}),
      };
    },
  };
}

const DONE = new TextEncoder().encode("data: [DONE]\n\n");

/**
 * A cached completion replayed as the stream OpenAI would have sent: per choice a chunk with the
 * role, content and tool calls, then one with its finish reason; the usage chunk when the caller
 * asked for it; `[DONE]`.
 */
export function replayStream(
  completion: ChatCompletion,
  options: { includeUsage: boolean },
): ReadableStream<Uint8Array> {
  const base = {
    id: completion.id,
    object: "chat.completion.chunk" as const,
    created: completion.created,
    model: completion.model,
  };
  const events: Uint8Array[] = [];
  for (const { index, message, finish_reason } of completion.choices) {
    const delta: ChatChunk["choices"][number]["delta"] = {
      role: "assistant",
      content: message.content ?? null,
    };
    if (message.tool_calls?.length) {
      delta.tool_calls = message.tool_calls.map((call, i) => ({ index: i, ...call }));
    }
    events.push(sseData({ ...base, choices: [{ index, delta, finish_reason: null }] }));
    events.push(sseData({ ...base, choices: [{ index, delta: {}, finish_reason }] }));
  }
  if (options.includeUsage && completion.usage) {
    events.push(sseData({ ...base, choices: [], usage: completion.usage }));
  }
  events.push(DONE);
  return new ReadableStream({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
}

/** The chat completion an SSE text amounts to, or undefined if it did not end whole. */
function completionOf(text: string): ChatCompletion | undefined {
  const events = text.split(/\r?\n\r?\n/).filter((event) => event.startsWith("data: "));
  if (events.at(-1) !== "data: [DONE]") return undefined;
  const assembler = completionAssembler();
  for (const event of events.slice(0, -1)) {
    const chunk = JSON.parse(event.slice(6)) as ChatChunk & { error?: unknown };
    if (chunk.error !== undefined || !Array.isArray(chunk.choices)) return undefined;
    assembler.add(chunk);
  }
  return assembler.completion();
}

/**
 * Passes the client's stream through untouched and, when it ends whole (`[DONE]`, every choice
 * finished, within `maxBytes`), hands `keep` the completion it amounts to. A stream cut short,
 * ending in an error event or cancelled by the client keeps nothing.
 */
export function keepStream(
  stream: ReadableStream<Uint8Array>,
  options: { maxBytes: number; keep(completion: ChatCompletion): void },
): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  let text = "";
  let tooLarge = false;
  return stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        controller.enqueue(chunk);
        if (tooLarge) return;
        text += decoder.decode(chunk, { stream: true });
        if (text.length > options.maxBytes) {
          tooLarge = true;
          text = "";
        }
      },
      flush() {
        if (tooLarge) return;
        try {
          const completion = completionOf(text + decoder.decode());
          if (completion) options.keep(completion);
        } catch {
          // Not an OpenAI stream we can read back: nothing to keep.
        }
      },
    }),
  );
}
