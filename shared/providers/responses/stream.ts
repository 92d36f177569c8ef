import type { ChunkEncoder, ClientEvent } from "../api.ts";
import type { ChatChunk, ResponseContext, ToolCall, Usage } from "../types.ts";
import {
  type OutputItem,
  functionCallItem,
  responseIds,
  responseObject,
  statusOf,
} from "./response.ts";

type Open =
  | { kind: "reasoning"; index: number; id: string; text: string }
  | { kind: "message"; index: number; id: string; text: string }
  | { kind: "call"; index: number; id: string; call: ToolCall };

/**
 * Writes chat chunks as the Responses API's stream, the sequence the openai SDK's stream helpers
 * check: `response.created`, `response.in_progress`, then per output item `output_item.added`,
 * its deltas (`reasoning_summary_text`, `output_text`, `function_call_arguments`) and its
 * `…done` events, and last `response.completed` (or `response.incomplete`) with the whole output
 * and usage. Each tool call is its own item at its own `output_index`, so calls streamed
 * interleaved land where they belong. A break ends with an `error` event, never `completed`.
 */
export function responsesEncoder(context: ResponseContext): ChunkEncoder {
  const ids = responseIds(context);
  let sequence = 0;
  let started = false;
  let finish: string | null = null;
  const output: OutputItem[] = [];
  let text: Extract<Open, { kind: "message" | "reasoning" }> | undefined;
  const calls = new Map<number, Extract<Open, { kind: "call" }>>();
  const event = (type: string, fields: object): ClientEvent => ({
    event: type,
    data: { type, sequence_number: sequence++, ...fields },
  });
  const lifecycle = (type: string, status: string, extra: object = {}) =>
    event(type, {
      response: responseObject(context, { status, output: [], usage: undefined, ...extra }),
    });
  const start = (): ClientEvent[] => {
    if (started) return [];
    started = true;
    return [
      lifecycle("response.created", "in_progress"),
      lifecycle("response.in_progress", "in_progress"),
    ];
  };
  const add = (item: OutputItem): ClientEvent =>
    event("response.output_item.added", { output_index: output.push(item) - 1, item });

  function closeText(): ClientEvent[] {
    const open = text;
    if (!open) return [];
    text = undefined;
    const at = { item_id: open.id, output_index: open.index };
    if (open.kind === "reasoning") {
      const part = { type: "summary_text", text: open.text };
      const item: OutputItem = {
        id: open.id,
        type: "reasoning",
        summary: [{ type: "summary_text", text: open.text }],
      };
      output[open.index] = item;
      return [
        event("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: open.text }),
        event("response.reasoning_summary_part.done", { ...at, summary_index: 0, part }),
        event("response.output_item.done", { output_index: open.index, item }),
      ];
    }
    const part = {
      type: "output_text" as const,
      text: open.text,
      annotations: [] as [],
      logprobs: [] as [],
    };
    const item: OutputItem = {
      id: open.id,
      type: "message",
      status: "completed",
      role: "assistant",
      content: [part],
    };
    output[open.index] = item;
    return [
      event("response.output_text.done", {
        ...at,
        content_index: 0,
        text: open.text,
        logprobs: [],
      }),
      event("response.content_part.done", { ...at, content_index: 0, part }),
      event("response.output_item.done", { output_index: open.index, item }),
    ];
  }

  function textDelta(kind: "message" | "reasoning", delta: string): ClientEvent[] {
    const events: ClientEvent[] = [];
    if (text?.kind !== kind) {
      events.push(...closeText());
      const id = kind === "message" ? ids.message(output.length) : ids.reasoning(output.length);
      const index = output.length;
      text = { kind, index, id, text: "" };
      const at = { item_id: id, output_index: index };
      if (kind === "message") {
        events.push(
          add({ id, type: "message", status: "in_progress", role: "assistant", content: [] }),
          event("response.content_part.added", {
            ...at,
            content_index: 0,
            part: { type: "output_text", text: "", annotations: [], logprobs: [] },
          }),
        );
      } else {
        events.push(
          add({ id, type: "reasoning", summary: [] }),
          event("response.reasoning_summary_part.added", {
            ...at,
            summary_index: 0,
            part: { type: "summary_text", text: "" },
          }),
        );
      }
    }
    text!.text += delta;
    const at = { item_id: text!.id, output_index: text!.index };
    events.push(
      kind === "message"
        ? event("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] })
        : event("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta }),
    );
    return events;
  }

  function callDelta(
    delta: NonNullable<ChatChunk["choices"][number]["delta"]["tool_calls"]>[number],
  ): ClientEvent[] {
    const events: ClientEvent[] = [];
    let open = calls.get(delta.index);
    if (!open) {
      events.push(...closeText());
      const call: ToolCall = {
        id: delta.id ?? `call_${delta.index}`,
        type: "function",
        function: { name: delta.function?.name ?? "", arguments: "" },
        ...(delta.extra_content ? { extra_content: delta.extra_content } : {}),
      };
      open = { kind: "call", index: output.length, id: ids.call(calls.size), call };
      calls.set(delta.index, open);
      events.push(add({ ...functionCallItem(open.id, call), status: "in_progress" } as OutputItem));
    }
    const piece = delta.function?.arguments ?? "";
    if (piece === "") return events;
    open.call.function.arguments += piece;
    events.push(
      event("response.function_call_arguments.delta", {
        item_id: open.id,
        output_index: open.index,
        delta: piece,
      }),
    );
    return events;
  }

  return {
    chunk(chunk) {
      const events = start();
      // The Responses API has one answer: other choices (n > 1) have nowhere to go.
      const choice = chunk.choices.find((c) => c.index === 0);
      if (!choice) return events;
      const { delta } = choice;
      if (delta.reasoning_content) events.push(...textDelta("reasoning", delta.reasoning_content));
      if (typeof delta.content === "string" && delta.content !== "") {
        events.push(...textDelta("message", delta.content));
      }
      for (const call of delta.tool_calls ?? []) events.push(...callDelta(call));
      if (choice.finish_reason) finish = choice.finish_reason;
      return events;
    },
    end(usage: Usage | undefined) {
      const events = [...start(), ...closeText()];
      for (const open of [...calls.values()].sort((a, b) => a.index - b.index)) {
        const item = functionCallItem(open.id, open.call);
        output[open.index] = item;
        events.push(
          event("response.function_call_arguments.done", {
            item_id: open.id,
            output_index: open.index,
            name: open.call.function.name,
            arguments: open.call.function.arguments,
          }),
          event("response.output_item.done", { output_index: open.index, item }),
        );
      }
      const state = statusOf(finish);
      const type = state.status === "completed" ? "response.completed" : "response.incomplete";
      events.push(event(type, { response: responseObject(context, { ...state, output, usage }) }));
      return events;
    },
    fail(message) {
      return [event("error", { code: "upstream_stream_error", message, param: null })];
    },
  };
}
