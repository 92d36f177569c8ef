import type { Usage } from "../../shared/providers/types.ts";
import { clientStream } from "./stream.ts";
import type { Answer } from "./upstream.ts";

export interface RespondOptions {
  headers: Record<string, string>;
  idleTimeoutMs: number;
  /** Records the outcome after the response: once, when the answer (or its stream) ends. */
  account(status: number, usage: () => Usage | undefined): void;
}

/** The client's Response for an answer: bytes as they came, a translated body, or a stream. */
export function respond(answer: Answer, options: RespondOptions): Response {
  const { headers, account } = options;
  switch (answer.kind) {
    case "bytes":
      account(200, answer.usage);
      return new Response(answer.body, { headers: { ...headers, ...JSON_HEADERS } });
    case "json":
      account(200, () => answer.body.usage);
      return new Response(JSON.stringify(answer.body), {
        headers: { ...headers, ...JSON_HEADERS },
      });
    case "stream":
      return new Response(
        clientStream(answer.started, {
          idleTimeoutMs: options.idleTimeoutMs,
          onEnd: (end) => account(end.complete ? 200 : 502, () => end.usage),
        }),
        { headers: { ...headers, ...STREAM_HEADERS } },
      );
  }
}

const JSON_HEADERS = { "content-type": "application/json" };
const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
};
