import { idWithSignature } from "../signature.ts";
import type { ChatCompletion, ResponseContext, ToolCall, Usage } from "../types.ts";
import { fromResponsesUsage, toResponsesUsage, type ResponsesUsage } from "../usage.ts";

/** One item of a response's `output`, as the proxy writes them. */
export type OutputItem =
  | {
      id: string;
      type: "message";
      status: "in_progress" | "completed";
      role: "assistant";
      content: (
        | { type: "output_text"; text: string; annotations: []; logprobs: [] }
        | { type: "refusal"; refusal: string }
      )[];
    }
  | {
      id: string;
      type: "function_call";
      status: "in_progress" | "completed";
      call_id: string;
      name: string;
      arguments: string;
    }
  | { id: string; type: "reasoning"; summary: { type: "summary_text"; text: string }[] };

/** Ids for one response's parts, all from the proxy's request id. */
export function responseIds(context: ResponseContext) {
  const tail = context.id.replace(/^chatcmpl-/, "");
  return {
    response: `resp_${tail}`,
    message: (n: number) => `msg_${tail}_${n}`,
    reasoning: (n: number) => `rs_${tail}_${n}`,
    call: (n: number) => `fc_${tail}_${n}`,
  };
}

export function functionCallItem(id: string, call: ToolCall): OutputItem {
  return {
    id,
    type: "function_call",
    status: "completed",
    call_id: idWithSignature(call),
    name: call.function.name,
    arguments: call.function.arguments,
  };
}

/** A chat finish reason as a response's status and why it is incomplete. */
export function statusOf(finish: string | null) {
  if (finish === "length") {
    return { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } as const;
  }
  if (finish === "content_filter") {
    return { status: "incomplete", incomplete_details: { reason: "content_filter" } } as const;
  }
  return { status: "completed", incomplete_details: null } as const;
}

/** A response object with its output and usage; the fields echoing a request are defaults. */
export function responseObject(
  context: ResponseContext,
  fields: {
    status: string;
    output: OutputItem[];
    usage: Usage | undefined;
    incomplete_details?: unknown;
  },
) {
  return {
    id: responseIds(context).response,
    object: "response",
    created_at: context.created,
    model: context.model,
    status: fields.status,
    error: null,
    incomplete_details: fields.incomplete_details ?? null,
    output: fields.output,
    parallel_tool_calls: true,
    tool_choice: "auto",
    tools: [],
    usage: fields.usage ? toResponsesUsage(fields.usage) : null,
  };
}

/**
 * A chat completion as a Responses API response: the reasoning (if the provider returned it) as
 * a reasoning item, the text as a message, each tool call as a function_call item whose call_id
 * carries a Gemini thought signature when there is one.
 */
export function completionToResponse(completion: ChatCompletion, context: ResponseContext) {
  const ids = responseIds(context);
  const choice = completion.choices[0];
  const message = choice?.message;
  const output: OutputItem[] = [];
  if (message?.reasoning_content) {
    const summary = [{ type: "summary_text" as const, text: message.reasoning_content }];
    output.push({ id: ids.reasoning(0), type: "reasoning", summary });
  }
  const text = typeof message?.content === "string" ? message.content : "";
  if (text !== "" || message?.refusal) {
    output.push({
      id: ids.message(0),
      type: "message",
      status: "completed",
      role: "assistant",
      content: message?.refusal
        ? [{ type: "refusal", refusal: message.refusal }]
        : [{ type: "output_text", text, annotations: [], logprobs: [] }],
    });
  }
  (message?.tool_calls ?? []).forEach((call, n) =>
    output.push(functionCallItem(ids.call(n), call)),
  );
  return responseObject(context, {
    ...statusOf(choice?.finish_reason ?? "stop"),
    output,
    usage: completion.usage,
  });
}

/** The usage of a response, in chat terms. */
export function responseUsage(answer: unknown): Usage | undefined {
  return fromResponsesUsage((answer as { usage?: ResponsesUsage } | null)?.usage);
}
