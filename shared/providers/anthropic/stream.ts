import type {
  ChatChunk,
  FinishReason,
  ResponseContext,
  SseEvent,
  StreamTranslator,
  Usage,
} from "../types.ts";
import { restate, type AnthropicErrorDetail } from "./errors.ts";
import { finishReason, toUsage, type AnthropicUsage } from "./wire.ts";

/** The fields of Anthropic's stream events that the translation reads. */
interface StreamEvent {
  type?: string;
  index?: number;
  message?: { usage?: AnthropicUsage };
  content_block?: { type?: string; id?: string; name?: string };
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    partial_json?: string;
    stop_reason?: string | null;
  };
  usage?: AnthropicUsage;
  error?: AnthropicErrorDetail;
}

type Delta = ChatChunk["choices"][number]["delta"];

/** One streamed tool call fragment: only the first of a call carries its id and name. */
interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

const toolDelta = (call: ToolCallDelta): Delta => ({ tool_calls: [call] });

/** `message_delta` counts are cumulative: each one given replaces that of `message_start`. */
function merge(
  start: AnthropicUsage | undefined,
  delta: AnthropicUsage | undefined,
): AnthropicUsage {
  const given = Object.entries(delta ?? {}).filter(([, count]) => typeof count === "number");
  return { ...start, ...Object.fromEntries(given) };
}

/**
 * Translates Anthropic's event sequence (`message_start`, `content_block_*`, `message_delta`,
 * `message_stop`) into OpenAI chunks: a first chunk with the role, text as `content`, each
 * `tool_use` block as a numbered `tool_calls` entry whose arguments arrive in fragments, a chunk
 * with the finish reason, and at `message_stop` a usage chunk (`choices: []`). An in-band `error`
 * event, an unreadable event or an end before `message_stop` makes the stream incomplete.
 */
export function anthropicStream(context: ResponseContext): StreamTranslator {
  let usage: AnthropicUsage | undefined;
  let stopped = false;
  let error: string | undefined;
  // Anthropic numbers all content blocks; OpenAI numbers only the tool calls.
  const toolIndex = new Map<number, number>();
  const chunk = (delta: Delta, finish: FinishReason = null): ChatChunk => ({
    id: context.id,
    object: "chat.completion.chunk",
    created: context.created,
    model: context.model,
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const translate = (event: StreamEvent): ChatChunk[] => {
    switch (event.type) {
      case "message_start":
        usage = { ...event.message?.usage };
        return [chunk({ role: "assistant", content: "" })];
      case "content_block_start": {
        const block = event.content_block;
        if (block?.type !== "tool_use" || event.index === undefined) return [];
        const index = toolIndex.size;
        toolIndex.set(event.index, index);
        return [
          chunk(
            toolDelta({
              index,
              id: block.id,
              type: "function",
              function: { name: block.name, arguments: "" },
            }),
          ),
        ];
      }
      case "content_block_delta": {
        const { delta } = event;
        const index = toolIndex.get(event.index ?? -1);
        if (delta?.type === "text_delta" && delta.text) return [chunk({ content: delta.text })];
        if (delta?.type === "thinking_delta" && delta.thinking) {
          return [chunk({ reasoning_content: delta.thinking })];
        }
        if (delta?.type === "input_json_delta" && delta.partial_json && index !== undefined) {
          return [chunk(toolDelta({ index, function: { arguments: delta.partial_json } }))];
        }
        return [];
      }
      case "message_delta":
        usage = merge(usage, event.usage);
        return [chunk({}, finishReason(event.delta?.stop_reason))];
      case "message_stop":
        stopped = true;
        return [{ ...chunk({}), choices: [], usage: toUsage(usage ?? {}) }];
      case "error":
        error = restate(500, event.error).message;
        return [];
      default:
        // `ping`, `content_block_stop` and signature deltas: nothing for OpenAI.
        return [];
    }
  };
  return {
    push(event: SseEvent): ChatChunk[] {
      if (error !== undefined || stopped) return [];
      try {
        return translate(JSON.parse(event.data) as StreamEvent);
      } catch {
        error = "The upstream provider sent an unreadable stream event";
        return [];
      }
    },
    finish() {
      if (error !== undefined) return { chunks: [], complete: false, error };
      if (!stopped)
        return {
          chunks: [],
          complete: false,
          error: "The upstream stream ended before the answer",
        };
      return { chunks: [], complete: true };
    },
    usage: (): Usage | undefined => (usage ? toUsage(usage) : undefined),
  };
}
