import type { ChunkEncoder, ClientEvent } from "../api.ts";
import type { ChatChunk, FinishReason, ResponseContext, ToolCall, Usage } from "../types.ts";
import { toMessagesUsage } from "../usage.ts";
import { messageObject, stopReason, toolUseBlock } from "./response.ts";

type ToolDelta = NonNullable<ChatChunk["choices"][number]["delta"]["tool_calls"]>[number];

interface Tool {
  call: ToolCall;
  /** How much of the arguments the client has been sent. */
  sent: number;
}

const event = (type: string, fields: object = {}): ClientEvent => ({
  event: type,
  data: { type, ...fields },
});

const isWhole = (json: string) => {
  try {
    JSON.parse(json);
    return true;
  } catch {
    return false;
  }
};

/**
 * Writes chat chunks as Anthropic's stream: `message_start`, content blocks one after another
 * (`content_block_start`, `…_delta` with thinking, text or `input_json_delta`,
 * `content_block_stop`), `message_delta` with the stop reason and the whole usage, and
 * `message_stop`. Anthropic's blocks never overlap, so tool calls streamed interleaved are held:
 * the open call's block closes once its arguments are whole JSON, and a call whose fragments
 * arrived meanwhile is sent next, whole so far. A break ends with an `error` event.
 */
export function messagesEncoder(context: ResponseContext): ChunkEncoder {
  let started = false;
  let blocks = 0;
  let open: { kind: "text" | "thinking" } | { kind: "tool"; tool: Tool } | undefined;
  let finish: FinishReason = null;
  const tools = new Map<number, Tool>();
  const held: Tool[] = [];

  const start = (): ClientEvent[] => {
    if (started) return [];
    started = true;
    const usage = { input_tokens: 0, output_tokens: 0 };
    return [
      event("message_start", {
        message: messageObject(context, {
          content: [],
          stop_reason: null,
          usage: { ...usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        }),
      }),
    ];
  };
  const close = (): ClientEvent[] => {
    if (!open) return [];
    open = undefined;
    return [event("content_block_stop", { index: blocks++ })];
  };
  const argumentsOf = (tool: Tool): ClientEvent[] => {
    const piece = tool.call.function.arguments.slice(tool.sent);
    tool.sent = tool.call.function.arguments.length;
    if (piece === "") return [];
    return [
      event("content_block_delta", {
        index: blocks,
        delta: { type: "input_json_delta", partial_json: piece },
      }),
    ];
  };
  const openTool = (tool: Tool): ClientEvent[] => {
    open = { kind: "tool", tool };
    const block = {
      ...toolUseBlock({ ...tool.call, function: { ...tool.call.function, arguments: "{}" } }),
      input: {},
    };
    return [
      event("content_block_start", { index: blocks, content_block: block }),
      ...argumentsOf(tool),
    ];
  };
  const text = (kind: "text" | "thinking", piece: string): ClientEvent[] => {
    const events = open?.kind === kind ? [] : [...close()];
    if (open?.kind !== kind) {
      open = { kind };
      const block =
        kind === "text"
          ? { type: "text", text: "" }
          : { type: "thinking", thinking: "", signature: "" };
      events.push(event("content_block_start", { index: blocks, content_block: block }));
    }
    const delta =
      kind === "text"
        ? { type: "text_delta", text: piece }
        : { type: "thinking_delta", thinking: piece };
    events.push(event("content_block_delta", { index: blocks, delta }));
    return events;
  };
  const toolDelta = (delta: ToolDelta): ClientEvent[] => {
    let tool = tools.get(delta.index);
    if (!tool) {
      const call: ToolCall = {
        id: delta.id ?? `call_${delta.index}`,
        type: "function",
        function: { name: delta.function?.name ?? "", arguments: "" },
        ...(delta.extra_content ? { extra_content: delta.extra_content } : {}),
      };
      tool = { call, sent: 0 };
      tools.set(delta.index, tool);
      held.push(tool);
    }
    tool.call.function.arguments += delta.function?.arguments ?? "";
    if (open?.kind === "tool" && open.tool === tool) return argumentsOf(tool);
    // Another call is open: it keeps the stream until its arguments are whole.
    if (open?.kind === "tool" && !isWhole(open.tool.call.function.arguments)) return [];
    const events = close();
    held.splice(held.indexOf(tool), 1);
    return [...events, ...openTool(tool)];
  };

  return {
    chunk(chunk) {
      const events = start();
      const choice = chunk.choices.find((c) => c.index === 0);
      if (!choice) return events;
      const { delta } = choice;
      if (delta.reasoning_content) events.push(...text("thinking", delta.reasoning_content));
      if (typeof delta.content === "string" && delta.content !== "")
        events.push(...text("text", delta.content));
      for (const call of delta.tool_calls ?? []) events.push(...toolDelta(call));
      if (choice.finish_reason) finish = choice.finish_reason;
      return events;
    },
    end(usage: Usage | undefined) {
      const events = [...start(), ...close()];
      for (const tool of held.splice(0)) events.push(...openTool(tool), ...close());
      const counts = toMessagesUsage(
        usage ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      );
      events.push(
        event("message_delta", {
          delta: { stop_reason: stopReason(finish), stop_sequence: null },
          usage: counts,
        }),
        event("message_stop"),
      );
      return events;
    },
    fail(message) {
      return [event("error", { error: { type: "api_error", message } })];
    },
  };
}
