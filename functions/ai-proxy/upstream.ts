import { AppError, isAppError } from "../../shared/http/errors.ts";
import type { ApiTransform } from "../../shared/providers/api.ts";
import { parseSse } from "../../shared/providers/sse.ts";
import type {
  ChatTransform,
  ResponseContext,
  UpstreamRequest,
  Usage,
} from "../../shared/providers/types.ts";
import type { AnswerMode, Bodies, Capability, Endpoint } from "./endpoints.ts";
import type { ChainTarget } from "./failover.ts";
import { passthroughRelay, usageInJson } from "./passthrough.ts";
import { type StartedStream, apiRelay, firstToken, translatedRelay } from "./stream.ts";

/** A provider's answer, ready for the client. */
export type Answer =
  /** The upstream's own bytes (the caller's API): usage is read from them after the response. */
  | { kind: "bytes"; body: ArrayBuffer; usage: () => Usage | undefined }
  /** A translated answer, serialised once, when sent. */
  | { kind: "json"; body: unknown; usage: () => Usage | undefined }
  | { kind: "stream"; started: StartedStream };

export interface UpstreamCall<C extends Capability = Capability> {
  endpoint: Endpoint<C>;
  body: Bodies[C];
  answer: AnswerMode;
  link: ChainTarget<C>;
  signal: AbortSignal;
  /** The attempt's W3C trace context, passed on to the provider when tracing is on. */
  traceparent?: string | undefined;
}

// The transforms of one capability, seen without knowing which (the endpoint row pairs them).
type AnyTransform = {
  request(body: unknown, upstreamModel: string, config: ChainTarget["config"]): UpstreamRequest;
  response(json: unknown, context: ResponseContext): { usage?: Usage | undefined };
};

/**
 * One attempt against one provider: builds its request, sends it, and reads its answer within
 * the attempt's time (a JSON answer whole, a stream up to its first token). A refusal comes back
 * as the upstream's Response, for the chain to judge.
 */
export async function callUpstream(call: UpstreamCall): Promise<Answer | Response> {
  const { link, answer } = call;
  const transform = link.transform as AnyTransform;
  const built = build(call, transform);
  const upstream = call.traceparent
    ? { ...built, headers: { ...built.headers, traceparent: call.traceparent } }
    : built;
  const res = await send(upstream, call.signal);
  if (!res.ok) return res;
  if (API_CAPABILITIES.has(call.endpoint.capability)) {
    return apiAnswer(res, link.transform as ApiTransform<unknown>, call);
  }
  const sameApi = link.provider.api === call.endpoint.format;
  if (answer.stream) {
    const relay = sameApi
      ? passthroughRelay(res.body!.getReader(), answer.includeUsage)
      : translatedRelay(res.body!.pipeThrough(parseSse()).getReader(), {
          translator: (link.transform as ChatTransform).stream(contextFor(link)),
          includeUsage: answer.includeUsage,
        });
    return { kind: "stream", started: await firstToken(relay) };
  }
  if (sameApi) {
    const body = await res.arrayBuffer();
    return { kind: "bytes", body, usage: () => usageInJson(body) };
  }
  const translated = transform.response(await res.json(), contextFor(link));
  const body = call.endpoint.finish?.(translated, call.body as never) ?? translated;
  return { kind: "json", body, usage: () => translated.usage };
}

// Their transforms pass the provider's own API through or translate by its chat transform.
const API_CAPABILITIES: ReadonlySet<Capability> = new Set(["responses", "messages"]);

/** A Responses or Messages answer, through its transform (shared/providers/api.ts). */
async function apiAnswer(
  res: Response,
  transform: ApiTransform<unknown>,
  call: UpstreamCall,
): Promise<Answer> {
  const context = contextFor(call.link);
  if (call.answer.stream) {
    const events = res.body!.pipeThrough(parseSse()).getReader();
    return {
      kind: "stream",
      started: await firstToken(apiRelay(events, transform.stream(context))),
    };
  }
  const body = transform.response(await res.json(), context);
  return { kind: "json", body, usage: () => transform.usage(body) };
}

/**
 * What a translated answer says about itself: a fresh `chatcmpl-` id (vendors' ids have other
 * shapes) and the upstream model that served it, as a passed-through answer says too.
 */
function contextFor(link: ChainTarget): ResponseContext {
  const now = Date.now();
  return {
    model: link.target.model,
    id: `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`,
    created: Math.floor(now / 1000),
  };
}

/**
 * The provider's request. A translator that fails on input the checks let through is a request
 * this provider cannot take (400, and the chain may try the next), never a network failure to
 * retry or a mark against the provider's breaker.
 */
function build(call: UpstreamCall, transform: AnyTransform): UpstreamRequest {
  try {
    return transform.request(call.body, call.link.target.model, call.link.config);
  } catch (error) {
    if (isAppError(error)) throw error;
    throw new AppError({
      status: 400,
      code: "invalid_request",
      category: "validation",
      message: `The request cannot be translated for ${call.link.target.provider}`,
    });
  }
}

async function send(upstream: UpstreamRequest, signal: AbortSignal): Promise<Response> {
  try {
    return await fetch(upstream.url, {
      method: upstream.method,
      headers: upstream.headers,
      body: upstream.body ?? null,
      signal,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // workerd reports a reset connection as a plain Error; it is a network failure like fetch's
    // own TypeError, and the retry policy and breaker must see it as one.
    throw new TypeError(`The upstream could not be reached: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
