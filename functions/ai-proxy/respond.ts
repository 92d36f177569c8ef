import type { Context } from "hono";
import type { Usage } from "../../shared/providers/types.ts";
import type { Keeper } from "./cache-answer.ts";
import { clientStream } from "./stream.ts";
import type { Answer } from "./upstream.ts";

export interface RespondOptions {
  headers: Record<string, string>;
  idleTimeoutMs: number;
  /** Records the outcome after the response: once, when the answer (or its stream) ends. */
  account(status: number, usage: () => Usage | undefined): void;
  /** Keeps the answer in the response cache, when the request is cacheable. */
  keep?: Keeper | undefined;
}

/**
 * The client's Response for an answer: bytes as they came, a translated body, or a stream
 * (through `c`, so the headers the middleware set, the request id's, go with it).
 */
export function respond(c: Context, answer: Answer, options: RespondOptions): Response {
  const { headers, account, keep } = options;
  switch (answer.kind) {
    case "bytes":
      account(200, answer.usage);
      keep?.json(answer.body as object);
      return c.body(answer.body, 200, { ...headers, ...JSON_HEADERS });
    case "json":
      account(200, answer.usage);
      keep?.json(answer.body as object);
      return c.body(JSON.stringify(answer.body), 200, { ...headers, ...JSON_HEADERS });
    case "stream": {
      const stream = clientStream(answer.started, {
        idleTimeoutMs: options.idleTimeoutMs,
        onEnd: (end) => account(end.complete ? 200 : 502, () => end.usage),
      });
      return c.body(keep ? keep.stream(stream) : stream, 200, { ...headers, ...STREAM_HEADERS });
    }
  }
}

const JSON_HEADERS = { "content-type": "application/json" };
const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
};
