import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { passthroughRelay, usageInJson } from "../../../functions/ai-proxy/passthrough.ts";
import type { Relay } from "../../../functions/ai-proxy/stream.ts";

const fixture = (name: string) =>
  readFileSync(new URL(`../../fixtures/providers/openai/${name}`, import.meta.url), "utf8");
const encoder = new TextEncoder();

/** A reader that hands out `pieces` one read at a time, as an upstream's chunks arrive. */
function upstream(pieces: string[]): ReadableStreamDefaultReader<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  }).getReader();
}

/** Everything the relay hands the client, per read, and how it ended. */
async function drain(relay: Relay) {
  const reads: Uint8Array[][] = [];
  for (let bytes = await relay.next(); bytes; bytes = await relay.next()) reads.push(bytes);
  const end = relay.finish();
  const text = new TextDecoder().decode(
    Buffer.concat([...reads.flat(), ...end.tail].map((b) => Buffer.from(b))),
  );
  return { reads, end, text, usage: relay.usage() };
}

const events = (sse: string) => sse.split(/(?<=\n\n)/);

test("a caller who asked for usage gets the upstream's bytes, the very chunks it sent", async () => {
  const sse = fixture("stream-text.sse");
  const pieces = events(sse);
  const sent = pieces.map((piece) => encoder.encode(piece));
  let i = 0;
  const reader = new ReadableStream<Uint8Array>({
    pull: (controller) => (i < sent.length ? controller.enqueue(sent[i++]!) : controller.close()),
  }).getReader();
  const { reads, end, text, usage } = await drain(passthroughRelay(reader, true));
  expect(text).toBe(sse);
  expect(reads.flat().every((bytes, n) => bytes === sent[n])).toBe(true);
  expect(end).toEqual({ tail: [], complete: true });
  expect(usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 });
});

test("the usage chunk is read but not shown to a caller who did not ask for it", async () => {
  const sse = fixture("stream-text.sse");
  const { text, usage } = await drain(passthroughRelay(upstream(events(sse)), false));
  expect(usage).toMatchObject({ total_tokens: 16 });
  expect(text).not.toContain('"usage":{');
  expect(text).toBe(
    events(sse)
      .filter((e) => !e.includes('"usage":{'))
      .join(""),
  );
});

test("events split across reads reach the client whole", async () => {
  const sse = fixture("stream-tool-calls.sse");
  const pieces = sse.match(/[\s\S]{1,37}/g)!;
  const { reads, text, end } = await drain(passthroughRelay(upstream(pieces), true));
  expect(pieces.length).toBeGreaterThan(reads.length / 2);
  expect(text).toBe(sse);
  for (const bytes of reads.flat()) expect(new TextDecoder().decode(bytes)).toMatch(/\n\n$/);
  expect(end.complete).toBe(true);
});

test("the first token is an answer chunk, not a comment", async () => {
  const relay = passthroughRelay(
    upstream([": keep-alive\n\n", ...events(fixture("stream-text.sse"))]),
    true,
  );
  await relay.next();
  expect(relay.started()).toBe(false);
  await relay.next();
  expect(relay.started()).toBe(true);
});

test("an in-band error is restated, never relayed, and ends the answer as incomplete", async () => {
  const { text, end } = await drain(
    passthroughRelay(upstream(events(fixture("stream-in-band-error.sse"))), true),
  );
  expect(text).toContain("The answer");
  expect(text).not.toContain("cluster=azure");
  expect(end).toMatchObject({ complete: false, error: "The upstream provider failed to answer" });
});

test("an event that is not an OpenAI chunk ends the answer as incomplete", async () => {
  const first = events(fixture("stream-text.sse"))[0]!;
  const { end, text } = await drain(passthroughRelay(upstream([first, "data: hello\n\n"]), true));
  expect(text).toBe(first);
  expect(end.complete).toBe(false);
});

test("a stream that ends before a finish reason or [DONE] is incomplete", async () => {
  const cut = events(fixture("stream-text.sse")).slice(0, 3);
  const { end } = await drain(passthroughRelay(upstream(cut), true));
  expect(end).toMatchObject({ complete: false, error: expect.stringMatching(/ended/) });
});

test("a stream with a finish reason but no [DONE] is complete, and the client gets [DONE]", async () => {
  const noDone = events(fixture("stream-tool-calls.sse")).filter((e) => !e.includes("[DONE]"));
  const { end, text } = await drain(passthroughRelay(upstream(noDone), true));
  expect(end.complete).toBe(true);
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
});

test("usage is read from a JSON answer's bytes, and an unreadable one has none", () => {
  const json = encoder.encode(fixture("chat-completion.json")).buffer as ArrayBuffer;
  expect(usageInJson(json)).toMatchObject({ total_tokens: expect.any(Number) });
  expect(usageInJson(encoder.encode("{nope").buffer as ArrayBuffer)).toBeUndefined();
});

test("a cancelled relay lets go of its upstream: a reader left locked to a broken stream kept the whole request alive in workerd", async () => {
  const stream = new ReadableStream<Uint8Array>({
    pull: (controller) => controller.error(new Error("connection reset")),
  });
  const relay = passthroughRelay(stream.getReader(), false);
  await expect(relay.next()).rejects.toThrow("connection reset");
  relay.cancel(new Error("The upstream stream broke"));
  expect(stream.locked).toBe(false);
});
