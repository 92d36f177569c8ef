import { type ApiTransform, type ChatCodec, viaChat } from "../api.ts";
import { anthropicHeaders, anthropicUrl } from "../anthropic/wire.ts";
import { unreadableResponse } from "../errors.ts";
import type { ChatTransform, SseEvent } from "../types.ts";
import { fromMessagesUsage, type MessagesUsage } from "../usage.ts";
import { type MessagesRequest, messagesToChat } from "./request.ts";
import { completionToMessage, messageUsage } from "./response.ts";
import { messagesEncoder } from "./stream.ts";

export type { MessagesRequest } from "./request.ts";
export { type CountTokensRequest, countTokensRequest, messagesRequest } from "./validate.ts";

/** The Messages API written from, and read into, OpenAI's chat format. */
export const messagesCodec: ChatCodec<MessagesRequest> = {
  toChat: messagesToChat,
  fromCompletion: completionToMessage,
  usage: messageUsage,
  encoder: messagesEncoder,
};

/** The Messages API served by a provider reached through its chat transform. */
export const messagesViaChat = (chat: ChatTransform): ApiTransform<MessagesRequest> =>
  viaChat(chat, messagesCodec);

interface StreamEvent {
  type?: string;
  message?: { usage?: MessagesUsage };
  usage?: Partial<MessagesUsage>;
}

/**
 * The Messages API passed through to Anthropic: the body goes upstream with only `model`
 * replaced (cache_control, thinking and every block as written), and the answer and its events
 * come back as they are, with usage read on the side (`message_start`, then `message_delta`'s
 * cumulative counts).
 */
export const anthropicMessages: ApiTransform<MessagesRequest> = {
  request: (body, upstreamModel, config) => ({
    url: anthropicUrl(config, "/v1/messages"),
    method: "POST",
    headers: { ...anthropicHeaders(config), "content-type": "application/json" },
    body: JSON.stringify({ ...body, model: upstreamModel }),
  }),
  response(json) {
    const message = json as { type?: unknown; content?: unknown } | null;
    if (message?.type !== "message" || !Array.isArray(message.content)) throw unreadableResponse();
    return json;
  },
  usage: messageUsage,
  stream() {
    let usage: Partial<MessagesUsage> | undefined;
    let stopped = false;
    let error: string | undefined;
    return {
      push(event: SseEvent) {
        if (error !== undefined) return [];
        let data: StreamEvent;
        try {
          data = JSON.parse(event.data) as StreamEvent;
        } catch {
          error = "The upstream provider sent an unreadable stream event";
          return [];
        }
        if (data.type === "message_start") usage = { ...data.message?.usage };
        if (data.type === "message_delta") {
          const given = Object.entries(data.usage ?? {}).filter(([, n]) => typeof n === "number");
          usage = { ...usage, ...Object.fromEntries(given) };
        }
        if (data.type === "message_stop") stopped = true;
        // Relayed as it came: Anthropic's in-band error is already in the caller's API.
        if (data.type === "error") error = "The upstream provider reported an error mid-stream";
        return [{ ...(event.event ? { event: event.event } : {}), data: event.data }];
      },
      finish() {
        if (error !== undefined) return { events: [], complete: false, error };
        if (!stopped) {
          return {
            events: [],
            complete: false,
            error: "The upstream stream ended before the answer",
          };
        }
        return { events: [], complete: true };
      },
      fail: (message) => messagesEncoder({ id: "", model: "", created: 0 }).fail(message),
      usage: () => fromMessagesUsage(usage),
    };
  },
};
