import { expect, test } from "vitest";
import { parseSse } from "../../../shared/providers/sse.ts";
import type { SseEvent } from "../../../shared/providers/types.ts";

async function parse(chunks: string[]): Promise<SseEvent[]> {
  const encoder = new TextEncoder();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const events: SseEvent[] = [];
  for await (const event of source.pipeThrough(parseSse())) events.push(event);
  return events;
}

test("events split anywhere across chunks are reassembled", async () => {
  const text = 'event: message_start\ndata: {"a":1}\n\nevent: ping\ndata: {}\n\ndata: [DONE]\n\n';
  const expected = [
    { event: "message_start", data: '{"a":1}' },
    { event: "ping", data: "{}" },
    { data: "[DONE]" },
  ];
  for (let cut = 1; cut < text.length; cut++) {
    expect(await parse([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
  }
});

test("CRLF and CR line ends, comments and multi-line data are handled", async () => {
  expect(await parse([": keep-alive\r\ndata: a\r\ndata: b\r\n\r\ndata: c\r\r"])).toEqual([
    { data: "a\nb" },
    { data: "c" },
  ]);
});

test("a last event without its blank line is still delivered", async () => {
  expect(await parse(["data: tail"])).toEqual([{ data: "tail" }]);
});

test("multi-byte characters split across chunks decode intact", async () => {
  const bytes = new TextEncoder().encode("data: héllo ✓\n\n");
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
      controller.close();
    },
  });
  const events: SseEvent[] = [];
  for await (const event of source.pipeThrough(parseSse())) events.push(event);
  expect(events).toEqual([{ data: "héllo ✓" }]);
});
