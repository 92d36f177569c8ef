import type { SseEvent } from "./types.ts";

/**
 * Splits a byte stream into server-sent events (the WHATWG event-stream format: `event:` and
 * `data:` fields, events ended by a blank line, `\n`, `\r\n` or `\r` line ends). Comments and
 * unknown fields are skipped. A final event without its blank line is still delivered.
 */
export function parseSse(): TransformStream<Uint8Array, SseEvent> {
  const decoder = new TextDecoder();
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  const line = (text: string, emit: (e: SseEvent) => void) => {
    if (text === "") {
      if (data.length > 0) emit({ ...(event ? { event } : {}), data: data.join("\n") });
      event = undefined;
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? "" : text.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
  };
  const drain = (emit: (e: SseEvent) => void, flush: boolean) => {
    // Lines end at \n, \r\n or \r; a trailing \r may be half of a \r\n still on its way.
    const parts = buffer.split(/\r\n|\r(?!$)|\n/);
    buffer = flush ? "" : parts.pop()!;
    for (const part of parts) line(part, emit);
    if (flush && buffer === "") line("", emit);
  };
  return new TransformStream({
    transform(chunk, controller) {
      buffer += decoder.decode(chunk, { stream: true });
      drain((e) => controller.enqueue(e), false);
    },
    flush(controller) {
      buffer += decoder.decode();
      drain((e) => controller.enqueue(e), true);
      line("", (e) => controller.enqueue(e));
    },
  });
}

const encoder = new TextEncoder();

/** One `data:` event of an OpenAI stream. */
export function sseData(value: unknown): Uint8Array {
  return encoder.encode(`data: ${typeof value === "string" ? value : JSON.stringify(value)}\n\n`);
}

/** One named event (`event:` and `data:` lines); string data is sent as it is. */
export function sseEvent(event: { event?: string; data: unknown }): Uint8Array {
  const data = typeof event.data === "string" ? event.data : JSON.stringify(event.data);
  return encoder.encode(`${event.event ? `event: ${event.event}\n` : ""}data: ${data}\n\n`);
}
