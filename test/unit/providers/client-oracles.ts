// The official clients as oracles for what the proxy writes: each reads a body through a fetch
// that returns it, exactly as it would read the proxy's answer.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import type { ClientEvent } from "../../../shared/providers/api.ts";

/** Client events as the bytes of a server-sent event stream. */
export function sseBody(events: ClientEvent[]): string {
  return events
    .map(({ event, data }) => {
      const text = typeof data === "string" ? data : JSON.stringify(data);
      return `${event ? `event: ${event}\n` : ""}data: ${text}\n\n`;
    })
    .join("");
}

const answering = (body: string, type: string) => async () =>
  new Response(body, { headers: { "content-type": type } });

/** The openai SDK's `responses.stream()` helper over these events: its final response. */
export function openAiResponseStream(events: ClientEvent[]) {
  const client = new OpenAI({
    apiKey: "k",
    baseURL: "http://proxy.invalid/v1",
    fetch: answering(sseBody(events), "text/event-stream"),
  });
  return client.responses.stream({ model: "m", input: "hi" }).finalResponse();
}

/** The Anthropic SDK's `messages.stream()` helper over these events: its final message. */
export function anthropicMessageStream(events: ClientEvent[]) {
  const client = new Anthropic({
    apiKey: "k",
    baseURL: "http://proxy.invalid",
    fetch: answering(sseBody(events), "text/event-stream"),
  });
  return client.messages
    .stream({ model: "m", max_tokens: 100, messages: [{ role: "user", content: "hi" }] })
    .finalMessage();
}
