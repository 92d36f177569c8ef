import { type ApiTransform, type ChatCodec, viaChat } from "../api.ts";
import { unreadableResponse } from "../errors.ts";
import type { ChatTransform, ProviderConfig, SseEvent } from "../types.ts";
import { fromResponsesUsage, type ResponsesUsage } from "../usage.ts";
import { type ResponsesRequest, responsesToChat } from "./request.ts";
import { completionToResponse, responseUsage } from "./response.ts";
import { responsesEncoder } from "./stream.ts";

export type { ResponsesRequest } from "./request.ts";
export { responsesRequest } from "./validate.ts";

/** The Responses API written from, and read into, OpenAI's chat format. */
export const responsesCodec: ChatCodec<ResponsesRequest> = {
  toChat: responsesToChat,
  fromCompletion: completionToResponse,
  usage: responseUsage,
  encoder: responsesEncoder,
};

/** The Responses API served by a provider reached through its chat transform. */
export const responsesViaChat = (chat: ChatTransform): ApiTransform<ResponsesRequest> =>
  viaChat(chat, responsesCodec);

const TERMINAL = new Set(["response.completed", "response.incomplete", "response.failed"]);

/**
 * The Responses API passed through to OpenAI: the body goes upstream with only `model`
 * replaced, and the answer and its events come back as they are, with usage read on the side
 * (the stream's usage is in its last lifecycle event). The base URL includes `/v1`.
 */
export function openAiResponses(
  post: (
    config: ProviderConfig,
    path: string,
    body: unknown,
  ) => ReturnType<ApiTransform<ResponsesRequest>["request"]>,
): ApiTransform<ResponsesRequest> {
  return {
    request: (body, upstreamModel, config) =>
      post(config, "/responses", { ...body, model: upstreamModel }),
    response(json) {
      if (
        typeof json !== "object" ||
        json === null ||
        !Array.isArray((json as { output?: unknown }).output)
      ) {
        throw unreadableResponse();
      }
      return json;
    },
    usage: responseUsage,
    stream() {
      let usage: ResponsesUsage | undefined;
      let ended = false;
      let error: string | undefined;
      return {
        push(event: SseEvent) {
          if (error !== undefined) return [];
          let type: unknown;
          try {
            const data = JSON.parse(event.data) as {
              type?: unknown;
              response?: { usage?: ResponsesUsage };
            };
            type = data.type;
            if (typeof type === "string" && TERMINAL.has(type)) {
              ended = true;
              usage = data.response?.usage ?? undefined;
            }
          } catch {
            error = "The upstream provider sent an unreadable stream event";
            return [];
          }
          if (type === "error") {
            // Relayed as it came: OpenAI's in-band error is already in the caller's API.
            error = "The upstream provider reported an error mid-stream";
          }
          return [{ ...(event.event ? { event: event.event } : {}), data: event.data }];
        },
        finish() {
          if (error !== undefined) return { events: [], complete: false, error };
          if (!ended)
            return {
              events: [],
              complete: false,
              error: "The upstream stream ended before the answer",
            };
          return { events: [], complete: true };
        },
        fail: (message) => responsesEncoder({ id: "", model: "", created: 0 }).fail(message),
        usage: () => fromResponsesUsage(usage),
      };
    },
  };
}
