import { clip, describeBytes, describeWire, type Prepared } from "./cases.ts";
import type { WireResponse } from "./http.ts";
import type { Secret } from "./stack.ts";

// The properties every answer must have, whatever the request (README, "HTTP contract"):
//   1. never a 5xx: every dependency is up, so nothing the client sends may make the worker fail;
//   2. exactly one sane x-request-id: the client's own when it sent one sane id, else a UUID;
//   3. an error (>= 400) is JSON in the envelope of its path: OpenAI's under /v1, the general one
//      elsewhere, with the same request id as the header (a 405 lists the allowed methods, and the
//      method refused is not among them);
//   4. a success is JSON, except TwiML from /webhooks/twilio/messages and SSE from a stream;
//   5. no configured secret, and no signature expected for this request, in headers or body.

export class PropertyViolation extends Error {
  override name = "PropertyViolation";
}

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CATEGORIES = new Set([
  "validation",
  "authentication",
  "authorization",
  "not_found",
  "rate_limit",
  "external_service",
  "internal",
  "network",
]);
const OPENAI_TYPES = new Set([
  "invalid_request_error",
  "authentication_error",
  "permission_error",
  "rate_limit_error",
  "api_error",
]);

const header = (res: WireResponse, name: string) =>
  res.headers.filter(([n]) => n === name).map(([, v]) => v);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** The answer as a report shows it. */
export function describeResponse(res: WireResponse): string {
  const lines = [`${res.status} after ${res.ms} ms`];
  for (const [name, value] of res.headers) lines.push(`  ${name}: ${clip(value, 300)}`);
  lines.push(`  body: ${describeBytes(res.body, 1500)}`);
  return lines.join("\n");
}

/** Throws a {@link PropertyViolation} naming every property `res` breaks. */
export function checkResponse(p: Prepared, res: WireResponse, secrets: Secret[]): void {
  const problems: string[] = [];
  const { wire } = p;
  const head = wire.method === "HEAD";

  if (res.status >= 500)
    problems.push(`status ${res.status}: a server error for input the client controls`);

  // 2. x-request-id
  const ids = header(res, "x-request-id");
  const id = ids[0];
  const sent = wire.headers.filter(([n]) => n === "x-request-id").map(([, v]) => v.trim());
  if (ids.length !== 1 || id === undefined) {
    problems.push(`${ids.length} x-request-id headers, not one`);
  } else if (!SANE_ID.test(id)) {
    problems.push(`x-request-id ${JSON.stringify(id)} is not sane`);
  } else if (sent.length === 1 && SANE_ID.test(sent[0]!)) {
    if (id !== sent[0]) problems.push(`x-request-id ${id} is not the sane one sent (${sent[0]})`);
  } else if (!UUID.test(id)) {
    problems.push(`x-request-id ${JSON.stringify(id)} is neither the client's nor a fresh UUID`);
  }

  // 3 and 4. The body.
  const contentType = (header(res, "content-type")[0] ?? "").toLowerCase();
  const text = res.body.toString("utf8");
  const openAi = p.path === "/v1" || p.path.startsWith("/v1/");
  if (!head && res.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      problems.push("the error body is not JSON");
    }
    if (!contentType.startsWith("application/json")) {
      problems.push(`the error's content-type is ${JSON.stringify(contentType)}, not JSON`);
    }
    if (body !== undefined) problems.push(...envelopeProblems(body, openAi, id, p.path));
  }
  if (res.status === 405) {
    const allow = (header(res, "allow")[0] ?? "")
      .split(",")
      .map((m) => m.trim())
      .filter(Boolean);
    if (allow.length === 0) problems.push("a 405 without an Allow header");
    if (allow.includes(wire.method)) {
      problems.push(
        `a 405 refusing ${wire.method} while its Allow header (${allow.join(", ")}) permits it`,
      );
    }
  }
  if (!head && res.status < 400) {
    const twiml = p.path === "/webhooks/twilio/messages" && contentType.startsWith("text/xml");
    const sse =
      ["/v1/chat/completions", "/v1/responses", "/v1/messages"].includes(p.path) &&
      contentType.startsWith("text/event-stream");
    if (!twiml && !sse) {
      if (!contentType.startsWith("application/json")) {
        problems.push(`a ${res.status} answered as ${JSON.stringify(contentType)}, not JSON`);
      } else {
        try {
          JSON.parse(text);
        } catch {
          problems.push(`a ${res.status} whose JSON body does not parse`);
        }
      }
    }
  }

  // 5. Secrets and signatures, in any header (names too) or anywhere in the body.
  const everything = `${res.headers.map(([n, v]) => `${n}: ${v}`).join("\n")}\n${res.body.toString("latin1")}\n${text}`;
  for (const secret of secrets) {
    if (everything.includes(secret.value)) problems.push(`the answer contains ${secret.name}`);
  }
  for (const signature of p.forbidden) {
    if (everything.includes(signature))
      problems.push(`the answer contains this request's expected signature`);
  }

  if (problems.length > 0) {
    throw new PropertyViolation(
      `${problems.join("; ")}\n--- request (as sent)\n${describeWire(wire)}\n--- response\n${describeResponse(res)}`,
    );
  }
}

function envelopeProblems(
  body: unknown,
  openAi: boolean,
  id: string | undefined,
  path: string,
): string[] {
  const problems: string[] = [];
  if (!isObject(body)) return ["the error body is not a JSON object"];
  if (path === "/v1/messages" || path.startsWith("/v1/messages/")) {
    // Anthropic's envelope, so Anthropic SDKs raise the right exception class.
    const error = body.error;
    if (body.type !== "error" || !isObject(error)) return ["no Anthropic error envelope"];
    if (typeof error.type !== "string" || !/^[a-z_]+$/.test(error.type))
      problems.push(`error.type ${JSON.stringify(error.type)} is not Anthropic's`);
    if (typeof error.message !== "string" || error.message === "")
      problems.push("error.message is not a non-empty string");
    if (body.request_id !== id)
      problems.push(`request_id ${JSON.stringify(body.request_id)} differs from x-request-id`);
    return problems;
  }
  if (openAi) {
    const error = body.error;
    if (!isObject(error)) return ["no `error` object (OpenAI envelope expected under /v1)"];
    if (typeof error.message !== "string" || error.message === "")
      problems.push("error.message is not a non-empty string");
    if (typeof error.type !== "string" || !OPENAI_TYPES.has(error.type))
      problems.push(`error.type ${JSON.stringify(error.type)} is not one of OpenAI's`);
    if (!(error.param === null || typeof error.param === "string"))
      problems.push("error.param is neither a string nor null");
    if (!(error.code === null || typeof error.code === "string"))
      problems.push("error.code is neither a string nor null");
    if (body.requestId !== id)
      problems.push(`requestId ${JSON.stringify(body.requestId)} differs from x-request-id`);
    if ("success" in body) problems.push("a general envelope field (`success`) under /v1");
    return problems;
  }
  const error = body.error;
  if (body.success !== false)
    problems.push("success is not false (general envelope expected outside /v1)");
  if (!isObject(error)) return [...problems, "no `error` object"];
  if (typeof error.code !== "string" || !/^[a-z0-9_]+$/.test(error.code))
    problems.push(`error.code ${JSON.stringify(error.code)} is not snake_case`);
  if (typeof error.message !== "string" || error.message === "")
    problems.push("error.message is not a non-empty string");
  if (typeof error.category !== "string" || !CATEGORIES.has(error.category))
    problems.push(`error.category ${JSON.stringify(error.category)} is not in the contract`);
  if (error.details !== undefined && !isObject(error.details))
    problems.push("error.details is not an object");
  if (typeof error.timestamp !== "string" || Number.isNaN(Date.parse(error.timestamp)))
    problems.push("error.timestamp is not a date");
  if (error.requestId !== id)
    problems.push(`error.requestId ${JSON.stringify(error.requestId)} differs from x-request-id`);
  if (error.path !== path)
    problems.push(
      `error.path ${JSON.stringify(error.path)} is not the request's path ${JSON.stringify(path)}`,
    );
  return problems;
}
