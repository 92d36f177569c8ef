// The same API on both sides (OpenAI → OpenAI): the upstream's bytes go to the client as they
// arrive. What the proxy must know (usage, whether the answer finished, an in-band error) is read
// beside them with string searches; only the usage event and an error event are parsed.
import { openAiError } from "../../shared/providers/openai/errors.ts";
import type { Usage } from "../../shared/providers/types.ts";
import { concatBytes } from "../../shared/webhooks/hmac.ts";
import { DONE, type Relay, cancelUpstream } from "./stream.ts";

const LF = 10;
const CR = 13;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Where the last complete event of `bytes` ends (after its blank line), or 0. */
function completeUpTo(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i > 0; i--) {
    if (bytes[i] === LF && (bytes[i - 1] === LF || (bytes[i - 1] === CR && bytes[i - 2] === LF)))
      return i + 1;
  }
  return 0;
}

/**
 * An OpenAI stream relayed as it came, whole events at a time. Only two events are changed: the
 * usage chunk, which the proxy always asks for, is dropped for a caller who did not
 * (`stream_options.include_usage`); an in-band error event is restated (never relayed word for
 * word) and ends the answer as incomplete, as does an event that is not an OpenAI chunk.
 */
export function passthroughRelay(
  upstream: ReadableStreamDefaultReader<Uint8Array>,
  includeUsage: boolean,
): Relay {
  const none = new Uint8Array(0);
  let held: Uint8Array = none; // an event still arriving
  let started = false;
  let finished = false;
  let sawDone = false;
  let usage: Usage | undefined;
  let error: string | undefined;

  /** The events in `text` the client gets: `text` itself unless one is dropped. */
  function scan(text: string): string {
    let kept = "";
    let from = 0;
    // The two keys looked for, found once per read: in JSON text outside strings only.
    let usageAt = text.indexOf('"usage":{');
    let finishAt = text.indexOf('"finish_reason":"');
    for (let at = 0; at < text.length;) {
      const blank = text.indexOf("\n\n", at);
      const end = blank < 0 ? text.length : blank + 2;
      let drop = false;
      if (error !== undefined)
        drop = true; // after an error, nothing more is relayed
      else if (text.startsWith("data: {", at) && !text.startsWith('data: {"error"', at)) {
        if (usageAt >= 0 && usageAt < end) drop = readUsage(text.slice(at + 6, end));
        if (finishAt >= 0 && finishAt < end) finished = true;
        started = true;
      } else if (text.startsWith("data: [DONE]", at)) {
        finished = true;
        sawDone = true;
      } else if (!text.startsWith(":", at)) {
        error = text.startsWith("data: {", at)
          ? openAiError(500, text.slice(at + 6, end)).message
          : "The upstream provider sent an unreadable stream event";
        drop = true;
      }
      if (drop) {
        kept += text.slice(from, at);
        from = end;
      }
      if (usageAt >= 0 && usageAt < end) usageAt = text.indexOf('"usage":{', end);
      if (finishAt >= 0 && finishAt < end) finishAt = text.indexOf('"finish_reason":"', end);
      at = end;
    }
    return from === 0 ? text : kept + text.slice(from);
  }

  /** Reads the usage chunk; true when the caller did not ask to see it. */
  function readUsage(data: string): boolean {
    try {
      const chunk = JSON.parse(data) as { usage?: Usage; choices?: unknown[] };
      usage = chunk.usage;
      return !includeUsage && chunk.choices?.length === 0;
    } catch {
      error = "The upstream provider sent an unreadable stream event";
      return true;
    }
  }

  /** The client's bytes for whole events: `whole` itself unless an event was dropped. */
  function relay(whole: Uint8Array): Uint8Array[] {
    const raw = decoder.decode(whole);
    const text = raw.includes("\r") ? raw.replaceAll("\r\n", "\n") : raw;
    const kept = scan(text);
    if (kept === raw) return [whole];
    return kept === "" ? [] : [encoder.encode(kept)];
  }

  return {
    async next() {
      const { done, value } = await upstream.read();
      if (done) {
        // A last event without its blank line is still an event.
        const last = held;
        held = none;
        return last.length > 0 ? relay(last) : undefined;
      }
      const bytes = held.length > 0 ? concatBytes(held, value) : value;
      const upTo = completeUpTo(bytes);
      if (upTo === bytes.length) {
        held = none;
        return relay(bytes);
      }
      held = bytes.subarray(upTo);
      return upTo > 0 ? relay(bytes.subarray(0, upTo)) : [];
    },
    started: () => started,
    finish() {
      if (error !== undefined) return { tail: [], complete: false, error };
      if (!finished)
        return { tail: [], complete: false, error: "The upstream stream ended before the answer" };
      return { tail: sawDone ? [] : [DONE], complete: true };
    },
    usage: () => usage,
    cancel: (reason) => cancelUpstream(upstream, reason),
  };
}

/** The `usage` of an OpenAI JSON answer, read after the response; undefined if unreadable. */
export function usageInJson(body: ArrayBuffer): Usage | undefined {
  try {
    return (JSON.parse(decoder.decode(body)) as { usage?: Usage }).usage;
  } catch {
    return undefined;
  }
}
