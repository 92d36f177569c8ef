import type { ChatChunk } from "../../../shared/providers/types.ts";

/** What a translated answer says about itself, in the encoder tests. */
export const context = { model: "smart", id: "chatcmpl-abc123", created: 1_765_000_000 };

type Choice = ChatChunk["choices"][number];

/** One chat chunk of `context`'s answer, as the chat transforms hand it to an API encoder. */
export const chunk = (delta: Choice["delta"], finish: Choice["finish_reason"] = null) =>
  ({
    id: context.id,
    object: "chat.completion.chunk",
    created: context.created,
    model: context.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  }) as ChatChunk;
