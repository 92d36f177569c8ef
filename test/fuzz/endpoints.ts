import fc from "fast-check";
import { ROUTES } from "../e2e/ai-stack.ts";
import { EVENTS_ENDPOINTS } from "./events.ts";
import { type Body, bodies } from "./requests.ts";
import {
  field,
  lengthSafeNumber,
  nastyString,
  oddNumber,
  percentEncode,
  tiered,
  utf8,
  wrongTypeWith,
} from "./values.ts";

// The endpoints (events' in events.ts), each with the bodies it is fuzzed with (every field it
// reads, valid or of the wrong type), and how it is authenticated: proxy key, service key, cron
// secret, or a Stripe, Twilio, Standard Webhooks or GitHub signature. Each structured body is built
// for a "valid weight" `w` (how strongly each field prefers a valid value), so `tiered` can ask for
// fully valid, one-field-wrong and loose bodies.

export type Guard =
  | "proxy-key"
  | "service-key"
  | "cron-secret"
  | "admin-key"
  | "stripe"
  | "twilio"
  | "standard"
  | "github"
  | "none";

export interface Endpoint {
  /** `POST /webhooks/stripe`: the test's name. */
  name: string;
  method: string;
  path: string;
  guard: Guard;
  body: fc.Arbitrary<Body>;
  /** The body limit the endpoint enforces (413 beyond it), if it reads a body. */
  limit?: number;
}

// Ids are UUID-based so that a fresh run never mistakes two generated events for duplicates.
const id = (prefix: string) => fc.uuid().map((u) => `${prefix}_${u.replaceAll("-", "")}`);
const nowSec = () => Math.floor(Date.now() / 1000);
// Unix seconds around now, and the edges of what PostgreSQL's timestamptz can hold.
const unixTime = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -86_400 * 30, max: 86_400 }).map((d) => nowSec() + d) },
  { weight: 1, arbitrary: fc.constantFrom(0, 1, 253402300799, 9224318015999, 2 ** 53 - 1) },
);

// ---------------------------------------------------------------------------------- Stripe

const STRIPE_TYPES = [
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.canceled",
  "payment_intent.processing",
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "charge.refunded",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "invoice.paid",
  "invoice.payment_failed",
  "customer.created",
  "v2.core.event_destination.ping",
];
const STATUSES = [
  "succeeded",
  "processing",
  "canceled",
  "failed",
  "active",
  "trialing",
  "past_due",
  "paused",
  "unpaid",
  "incomplete",
  "incomplete_expired",
  "paid",
];

/** A Stripe event around `data.object` with every field stripe_apply_event reads. */
function stripeEvent(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  const amount = fc.oneof({ weight: 4, arbitrary: fc.nat({ max: 10_000_000 }) }, oddNumber);
  const ref = (prefix: string) => fc.oneof(id(prefix), fc.record({ id: f(id(prefix)) }));
  const object = fc.record(
    {
      id: f(fc.oneof(id("pi"), id("sub"), id("in"), id("ch"))),
      object: f(fc.constantFrom("payment_intent", "subscription", "invoice", "charge")),
      amount: f(amount),
      amount_total: f(amount),
      amount_refunded: f(amount),
      amount_paid: f(amount),
      currency: f(fc.constantFrom("usd", "eur", "jpy")),
      customer: f(ref("cus")),
      status: f(fc.constantFrom(...STATUSES)),
      payment_status: f(fc.constantFrom("paid", "unpaid", "no_payment_required")),
      payment_intent: f(ref("pi")),
      captured: f(fc.boolean()),
      subscription: f(ref("sub")),
      parent: f(fc.record({ subscription_details: f(fc.record({ subscription: f(ref("sub")) })) })),
      current_period_end: f(unixTime),
      cancel_at_period_end: f(fc.boolean()),
      items: f(
        fc.record({
          data: f(
            fc.array(fc.record({ current_period_end: f(unixTime), price: f(ref("price")) }), {
              maxLength: 2,
            }),
          ),
        }),
      ),
    },
    { requiredKeys: ["id"] },
  );
  return fc.record(
    {
      id: f(id("evt")),
      object: f(fc.constant("event")),
      api_version: f(fc.constantFrom("2025-10-29.clover", "2024-06-20")),
      created: f(unixTime),
      // The endpoint is in test mode: mostly test events, some live ones (recorded, not applied).
      livemode: f(fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, fc.constant(true))),
      pending_webhooks: f(fc.nat({ max: 3 })),
      request: f(fc.record({ id: f(fc.constant(null)), idempotency_key: f(nastyString) })),
      type: f(fc.constantFrom(...STRIPE_TYPES)),
      data: f(fc.record({ object: f(object) })),
    },
    { requiredKeys: ["id", "type", "created", "livemode", "data"] },
  );
}

// ---------------------------------------------------------------------------------- Twilio

const TWILIO_STATUSES = [
  "queued",
  "sending",
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "read",
  "received",
  "receiving",
  "accepted",
  "scheduled",
  "canceled",
  "partially_delivered",
];

/**
 * The parameters Twilio sends (and the worker reads), as a record whose values are mostly
 * well-formed strings; unknown names and repeated names come in {@link formBody}.
 */
function twilioParams(w: number) {
  // A form value is always a string: "wrong" here is a string no Twilio would send.
  const value = (valid: fc.Arbitrary<string>) =>
    fc.oneof({ weight: w, arbitrary: valid }, { weight: 1, arbitrary: nastyString });
  return fc.record(
    {
      MessageSid: value(fc.uuid().map((u) => `SM${u.replaceAll("-", "")}`)),
      MessageStatus: value(fc.constantFrom(...TWILIO_STATUSES)),
      SmsStatus: value(fc.constantFrom(...TWILIO_STATUSES)),
      AccountSid: value(fc.constant("AC0123456789abcdef0123456789abcdef")),
      From: value(fc.constantFrom("+15551230000", "whatsapp:+15551230000")),
      To: value(fc.constant("+15559870000")),
      Body: nastyString,
      NumMedia: value(fc.constantFrom("0", "1", "10")),
      ErrorCode: value(fc.constantFrom("", "30003", "30008")),
      ApiVersion: fc.constant("2010-04-01"),
    },
    { requiredKeys: w > 100 ? ["MessageSid", "MessageStatus"] : [] },
  );
}

/** Form encodings: standard, hand-written with odd escapes and `+`, unknown and repeated names. */
const formBody = fc
  .tuple(
    fc.oneof({ weight: 2, arbitrary: twilioParams(1_000) }, twilioParams(5)),
    fc.array(
      fc.tuple(
        fc.oneof(
          fc.string({ maxLength: 10 }),
          fc.constantFrom("MessageSid", "MessageStatus", "Body"),
        ),
        nastyString,
      ),
      { maxLength: 3 },
    ),
    fc.constantFrom("standard", "standard", "raw", "odd"),
  )
  .map(([known, extra, style]) => {
    const pairs = [...Object.entries(known), ...extra];
    if (style === "standard") return utf8(new URLSearchParams(pairs).toString());
    const parts = pairs.map(([k, v]) =>
      style === "raw" ? `${k}=${v}` : `${percentEncode(k)}=${percentEncode(v)}%ZZ+%`,
    );
    return utf8((style === "odd" ? "&&=&" : "") + parts.join("&"));
  });

/** The same callbacks as JSON (Twilio's JSON-bodied webhooks): any value of any type. */
const twilioJson = (w: number) =>
  fc
    .tuple(
      twilioParams(w),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));

const twilioBody = (limit: number): fc.Arbitrary<Body> =>
  fc.oneof(
    {
      weight: 6,
      arbitrary: formBody.map((bytes) => ({ bytes, natural: "application/x-www-form-urlencoded" })),
    },
    {
      weight: 2,
      // The generic shapes, sent as a form: the worker reads whatever they are as parameters.
      arbitrary: bodies(twilioParams(5), limit, "application/x-www-form-urlencoded"),
    },
    { weight: 3, arbitrary: bodies(tiered(twilioJson), limit) },
  );

// ---------------------------------------------------------------------------------- /v1

const ROUTE_NAMES = Object.keys(ROUTES);
/** Models each endpoint can serve (its routes and direct `provider:model`s), then others. */
const CHAT_MODELS = [
  "chat-default",
  "claude",
  "gemini",
  "openai:gpt-4o-mini",
  "anthropic:claude-3-5-haiku-latest",
  "gemini:gemini-2.5-flash",
];
const EMBEDDING_MODELS = [
  "embed",
  "embed-gemini",
  "openai:text-embedding-3-small",
  "gemini:gemini-embedding-001",
];
const IMAGE_MODELS = ["image", "openai:dall-e-3", "fal:fal-ai/flux/schnell"];
const OTHER_MODELS = [
  ...ROUTE_NAMES,
  "openai:",
  ":x",
  "nobody:model",
  "gpt-4o",
  "__proto__",
  "constructor",
  "fal:",
];

const model = (w: number, served: string[]) =>
  field(
    fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(...served) },
      { weight: 1, arbitrary: fc.constantFrom(...OTHER_MODELS) },
      { weight: 1, arbitrary: nastyString },
    ),
    w,
  );

const text = fc.oneof({ weight: 4, arbitrary: fc.string({ maxLength: 30 }) }, nastyString);
const number = (min: number, max: number) =>
  fc.oneof(fc.double({ min, max, noNaN: true }), fc.integer({ min, max }));

function chatRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  const imageUrl = fc.constantFrom(
    "https://example.com/cat.png",
    "http://example.com/cat.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "data:image/png;base64,@@@",
    "ftp://x",
    "",
  );
  const part = fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: f(fc.constant("text")), text: f(text) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        type: f(fc.constant("image_url")),
        image_url: f(
          fc.record({ url: f(imageUrl), detail: f(fc.constantFrom("auto", "low", "high")) }),
        ),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: f(fc.constantFrom("input_audio", "file", "refusal")),
        data: text,
      }),
    },
  );
  const toolCall = fc.record({
    id: f(fc.constantFrom("call_1", "call_2")),
    type: f(fc.constant("function")),
    function: f(
      fc.record({
        name: f(fc.constantFrom("get_weather", "x")),
        arguments: f(fc.constantFrom("{}", '{"location":"Paris"}', "", "[1]", "not json", "null")),
      }),
    ),
  });
  const content = f(
    fc.oneof({ weight: 3, arbitrary: text }, fc.array(part, { maxLength: 3 }), fc.constant(null)),
  );
  // Conversations as clients send them: tool calls on assistant turns, results answering them.
  const message = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ role: f(fc.constantFrom("user", "system", "developer")), content }),
    },
    {
      weight: 2,
      arbitrary: fc.record(
        {
          role: f(fc.constant("assistant")),
          content,
          tool_calls: f(fc.array(toolCall, { minLength: 1, maxLength: 2 })),
        },
        { requiredKeys: ["role"] },
      ),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        role: f(fc.constant("tool")),
        content,
        tool_call_id: f(fc.constantFrom("call_1", "call_2", "nope")),
      }),
    },
    {
      // Roles the proxy refuses: only where requests are meant to be wrong.
      weight: w > 100 ? 0 : 1,
      arbitrary: fc.record({
        role: f(fc.constantFrom("function", "User", "")),
        content,
        name: f(text),
      }),
    },
  );
  const tool = fc.record({
    type: f(fc.constant("function")),
    function: f(
      fc.record(
        {
          name: f(fc.constantFrom("get_weather", "")),
          description: f(text),
          parameters: f(
            fc.constant({ type: "object", properties: { location: { type: "string" } } }),
          ),
        },
        { requiredKeys: ["name"] },
      ),
    ),
  });
  return fc.record(
    {
      model: model(w, CHAT_MODELS),
      messages: f(fc.array(message, { minLength: 1, maxLength: 4 })),
      temperature: f(number(0, 2)),
      top_p: f(number(0, 1)),
      max_tokens: f(fc.integer({ min: 1, max: 64 })),
      max_completion_tokens: f(fc.integer({ min: 1, max: 64 })),
      n: field(fc.integer({ min: 1, max: 3 }), w, wrongTypeWith(lengthSafeNumber)),
      stream: f(fc.boolean()),
      stream_options: f(fc.record({ include_usage: f(fc.boolean()) })),
      tools: f(fc.array(tool, { maxLength: 2 })),
      tool_choice: f(
        fc.oneof(
          fc.constantFrom("auto", "none", "required"),
          fc.record({
            type: f(fc.constant("function")),
            function: f(fc.record({ name: f(fc.constant("get_weather")) })),
          }),
        ),
      ),
      parallel_tool_calls: f(fc.boolean()),
      stop: f(fc.oneof(text, fc.array(text, { maxLength: 3 }))),
      response_format: f(
        fc.record({ type: f(fc.constantFrom("text", "json_object", "json_schema")) }),
      ),
      user: f(text),
      seed: f(fc.integer()),
      logprobs: f(fc.boolean()),
      presence_penalty: f(number(-2, 2)),
    },
    { requiredKeys: ["model", "messages"] },
  );
}

function embeddingsRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  return fc.record(
    {
      model: model(w, EMBEDDING_MODELS),
      input: f(
        fc.oneof(
          text,
          fc.array(text, { minLength: 1, maxLength: 4 }),
          fc.array(fc.integer({ min: 0, max: 100_000 }), { maxLength: 8 }),
          fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 4 }), { maxLength: 3 }),
        ),
      ),
      dimensions: field(fc.integer({ min: 1, max: 16 }), w, wrongTypeWith(lengthSafeNumber)),
      encoding_format: f(fc.constantFrom("float", "base64")),
      user: f(text),
    },
    { requiredKeys: ["model", "input"] },
  );
}

function imagesRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  return fc.record(
    {
      model: model(w, IMAGE_MODELS),
      prompt: f(text),
      n: field(fc.integer({ min: 1, max: 4 }), w, wrongTypeWith(lengthSafeNumber)),
      size: f(
        fc.constantFrom("1024x1024", "512x512", "auto", "10x10", "99999x99999", "1024", "axb"),
      ),
      response_format: f(fc.constantFrom("url", "b64_json", "png")),
      quality: f(fc.constantFrom("standard", "hd")),
      style: f(fc.constantFrom("vivid", "natural")),
      user: f(text),
    },
    { requiredKeys: ["model", "prompt"] },
  );
}

/** POST /admin/keys: a new key's settings. */
function newKey(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  return fc.record(
    {
      name: f(text),
      requests_per_minute: f(fc.integer({ min: 1, max: 1000 })),
      tokens_per_minute: f(fc.integer({ min: 1, max: 100_000 })),
      budget_usd: f(fc.double({ min: 0.01, max: 100, noNaN: true })),
      budget_period: f(fc.constantFrom("day", "month")),
      models: f(fc.array(fc.constantFrom(...ROUTE_NAMES), { minLength: 1, maxLength: 3 })),
      expires_at: f(fc.constantFrom("2999-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "tomorrow")),
      cache_max_age: f(fc.integer({ min: 1, max: 3600 })),
      allow_direct_models: f(fc.boolean()),
    },
    { requiredKeys: ["name"] },
  );
}

// ---------------------------------------------------------------------------------- outbound

/** Phones in and out of VERIFY_COUNTRIES, and not quite E.164. */
const PHONES = [
  "+15005550006",
  "+12045550123",
  "+447700900123",
  "+8613812345678",
  "15005550006",
  "+1",
];
const phoneField = (w: number) =>
  field(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...PHONES.slice(0, 4)) },
      fc.constantFrom(...PHONES),
    ),
    w,
  );
/** Stripe-sized metadata mostly, sometimes over its limits. */
const metadata = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 12 }),
      fc.string({ maxLength: 20 }),
      { maxKeys: 4 },
    ),
  },
  fc.dictionary(
    fc.string({ maxLength: 45 }),
    fc.oneof(fc.string({ maxLength: 600 }), fc.integer()),
    { maxKeys: 55 },
  ),
);

const smsRequest = (w: number) =>
  fc.record(
    { to: phoneField(w), body: field(text, w) },
    { requiredKeys: w > 100 ? ["to", "body"] : [] },
  );
const verifyStart = (w: number) =>
  fc.record({ phone: phoneField(w) }, { requiredKeys: w > 100 ? ["phone"] : [] });
const verifyCheck = (w: number) =>
  fc.record(
    { phone: phoneField(w), code: field(fc.stringMatching(/^\d{6}$/), w) },
    { requiredKeys: w > 100 ? ["phone", "code"] : [] },
  );
const customerRequest = (w: number) =>
  fc.record(
    {
      email: field(fc.constantFrom("ada@example.com", "x@y"), w),
      name: field(text, w),
      metadata: field(metadata, w),
    },
    { requiredKeys: w > 100 ? ["email"] : [] },
  );
const intentRequest = (w: number) =>
  fc.record(
    {
      amount: field(fc.integer({ min: 1, max: 99_999_999 }), w),
      currency: field(fc.constantFrom("usd", "eur", "jpy"), w),
      customer: field(fc.constantFrom("cus_unknown", "cus_1"), w),
      description: field(text, w),
      metadata: field(metadata, w),
    },
    { requiredKeys: w > 100 ? ["amount", "currency"] : [] },
  );
const subscriptionRequest = (w: number) =>
  fc.record(
    {
      customer: field(fc.constantFrom("cus_unknown", "cus_1"), w),
      price: field(fc.constantFrom("price_basic_monthly", "price_unknown"), w),
    },
    { requiredKeys: w > 100 ? ["customer", "price"] : [] },
  );

/** The outbound endpoints: service key, JSON bodies of 16 KiB (messaging) or 64 KiB (payments). */
const outbound = (
  path: string,
  body: (w: number) => fc.Arbitrary<unknown>,
  limit: number,
): Endpoint => ({
  name: `POST ${path}`,
  method: "POST",
  path,
  guard: "service-key",
  body: bodies(tiered(body), limit),
  limit,
});
function responsesRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  const item = fc.oneof(
    fc.record({
      role: f(fc.constantFrom("user", "assistant", "developer", "tool")),
      content: f(text),
    }),
    fc.record({
      role: f(fc.constant("user")),
      content: f(
        fc.array(
          fc.oneof(
            fc.record({ type: f(fc.constant("input_text")), text: f(text) }),
            fc.record({
              type: f(fc.constant("input_image")),
              image_url: f(
                fc.constantFrom(
                  "https://example.com/a.png",
                  "data:image/png;base64,iVBORw0KGgo=",
                  "ftp://x",
                ),
              ),
            }),
          ),
          { maxLength: 3 },
        ),
      ),
    }),
    fc.record({
      type: f(fc.constant("function_call")),
      call_id: f(fc.constantFrom("call_1", "call_x_0__ts_AAEC")),
      name: f(fc.constant("get_weather")),
      arguments: f(fc.constantFrom("{}", '{"location":"Paris"}', "{")),
    }),
    fc.record({
      type: f(fc.constant("function_call_output")),
      call_id: f(fc.constantFrom("call_1", "call_2")),
      output: f(text),
    }),
    fc.record({
      type: f(fc.constantFrom("item_reference", "reasoning", "web_search_call")),
      id: f(text),
    }),
  );
  return fc.record(
    {
      model: model(w, CHAT_MODELS),
      input: f(fc.oneof(text, fc.array(item, { minLength: 1, maxLength: 4 }))),
      instructions: f(text),
      stream: f(fc.boolean()),
      max_output_tokens: f(fc.integer({ min: 1, max: 64 })),
      temperature: f(number(0, 2)),
      tools: f(
        fc.array(
          fc.record({
            type: f(fc.constantFrom("function", "web_search")),
            name: f(fc.constant("get_weather")),
          }),
          { maxLength: 2 },
        ),
      ),
      tool_choice: f(fc.constantFrom("auto", "none", "required")),
      text: f(
        fc.record({
          format: f(fc.record({ type: f(fc.constantFrom("text", "json_object", "json_schema")) })),
        }),
      ),
      reasoning: f(fc.record({ effort: f(fc.constantFrom("low", "medium", "high")) })),
      previous_response_id: f(text),
      store: f(fc.boolean()),
    },
    { requiredKeys: ["model", "input"] },
  );
}

/** Messages API turns, and the fields a Messages request and a token count share. */
function messagesFields(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  const block = fc.oneof(
    fc.record({ type: f(fc.constant("text")), text: f(text) }),
    fc.record({
      type: f(fc.constant("image")),
      source: f(
        fc.record({
          type: f(fc.constantFrom("base64", "url")),
          media_type: f(fc.constant("image/png")),
          data: f(fc.constant("iVBORw0KGgo=")),
          url: f(fc.constant("https://example.com/a.png")),
        }),
      ),
    }),
    fc.record({
      type: f(fc.constant("tool_use")),
      id: f(fc.constantFrom("toolu_1", "toolu_2")),
      name: f(fc.constant("get_weather")),
      input: f(fc.constant({ location: "Paris" })),
    }),
    fc.record({
      type: f(fc.constant("tool_result")),
      tool_use_id: f(fc.constantFrom("toolu_1", "toolu_9")),
      content: f(text),
    }),
    fc.record({ type: f(fc.constantFrom("thinking", "document")), thinking: f(text) }),
  );
  const turn = fc.record({
    role: f(fc.constantFrom("user", "assistant", "system")),
    content: f(fc.oneof(text, fc.array(block, { maxLength: 3 }))),
  });
  return {
    model: model(w, CHAT_MODELS),
    messages: f(fc.array(turn, { minLength: 1, maxLength: 4 })),
    system: f(
      fc.oneof(
        text,
        fc.array(fc.record({ type: f(fc.constant("text")), text: f(text) }), { maxLength: 2 }),
      ),
    ),
    tools: f(
      fc.array(
        fc.record({
          name: f(fc.constant("get_weather")),
          input_schema: f(fc.constant({ type: "object" })),
        }),
        { maxLength: 2 },
      ),
    ),
    tool_choice: f(
      fc.record({
        type: f(fc.constantFrom("auto", "any", "none", "tool")),
        name: f(fc.constant("get_weather")),
      }),
    ),
    thinking: f(
      fc.record({
        type: f(fc.constantFrom("enabled", "disabled")),
        budget_tokens: f(fc.integer({ min: 0, max: 40_000 })),
      }),
    ),
  };
}

function messagesRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  const { model, messages, system, tools, tool_choice, thinking } = messagesFields(w);
  return fc.record(
    {
      model,
      max_tokens: field(fc.integer({ min: 1, max: 64 }), w, wrongTypeWith(lengthSafeNumber)),
      messages,
      system,
      stream: f(fc.boolean()),
      stop_sequences: f(fc.array(text, { maxLength: 2 })),
      tools,
      tool_choice,
      thinking,
      top_k: f(fc.integer({ min: 1, max: 10 })),
    },
    { requiredKeys: ["model", "max_tokens", "messages"] },
  );
}

/** A token count: a Messages request's fields, and now and then one Anthropic refuses there. */
function countTokensRequest(w: number) {
  const f = <T>(valid: fc.Arbitrary<T>) => field(valid, w);
  const count = fc.record(
    {
      ...messagesFields(w),
      cache_control: f(fc.record({ type: f(fc.constant("ephemeral")) })),
    },
    { requiredKeys: ["model", "messages"] },
  );
  const refused = fc.oneof(
    { weight: 6, arbitrary: fc.constant({}) },
    { weight: 1, arbitrary: fc.constantFrom({ max_tokens: 16 }, { stream: true }) },
  );
  return fc.tuple(count, refused).map(([body, extra]) => ({ ...body, ...extra }));
}

/** Bodies nobody reads (GET endpoints): anything at all. */
const anyBody = bodies(fc.jsonValue({ maxDepth: 2 }), 64 * 1024);

const MiB = 1024 * 1024;

export const ENDPOINTS: Endpoint[] = [
  {
    name: "POST /webhooks/stripe",
    method: "POST",
    path: "/webhooks/stripe",
    guard: "stripe",
    body: bodies(tiered(stripeEvent), MiB),
    limit: MiB,
  },
  {
    name: "POST /webhooks/twilio/messages",
    method: "POST",
    path: "/webhooks/twilio/messages",
    guard: "twilio",
    body: twilioBody(MiB),
    limit: MiB,
  },
  {
    name: "POST /webhooks/twilio/status",
    method: "POST",
    path: "/webhooks/twilio/status",
    guard: "twilio",
    body: twilioBody(MiB),
    limit: MiB,
  },
  {
    name: "POST /v1/chat/completions",
    method: "POST",
    path: "/v1/chat/completions",
    guard: "proxy-key",
    body: bodies(tiered(chatRequest), 4 * MiB),
    limit: 4 * MiB,
  },
  { name: "GET /v1/models", method: "GET", path: "/v1/models", guard: "proxy-key", body: anyBody },
  {
    name: "POST /v1/embeddings",
    method: "POST",
    path: "/v1/embeddings",
    guard: "proxy-key",
    body: bodies(tiered(embeddingsRequest), 4 * MiB),
    limit: 4 * MiB,
  },
  {
    name: "POST /v1/images/generations",
    method: "POST",
    path: "/v1/images/generations",
    guard: "proxy-key",
    body: bodies(tiered(imagesRequest), 4 * MiB),
    limit: 4 * MiB,
  },
  {
    name: "POST /admin/keys",
    method: "POST",
    path: "/admin/keys",
    guard: "admin-key",
    body: bodies(tiered(newKey), 64 * 1024),
    limit: 64 * 1024,
  },
  {
    name: "GET /admin/keys",
    method: "GET",
    path: "/admin/keys",
    guard: "admin-key",
    body: anyBody,
  },
  {
    name: "DELETE /admin/keys/{id}",
    method: "DELETE",
    path: `/admin/keys/${crypto.randomUUID()}`,
    guard: "admin-key",
    body: anyBody,
  },
  {
    name: "POST /v1/responses",
    method: "POST",
    path: "/v1/responses",
    guard: "proxy-key",
    body: bodies(tiered(responsesRequest), 4 * MiB),
    limit: 4 * MiB,
  },
  {
    name: "POST /v1/messages",
    method: "POST",
    path: "/v1/messages",
    guard: "proxy-key",
    body: bodies(tiered(messagesRequest), 4 * MiB),
    limit: 4 * MiB,
  },
  {
    name: "POST /v1/messages/count_tokens",
    method: "POST",
    path: "/v1/messages/count_tokens",
    guard: "proxy-key",
    body: bodies(tiered(countTokensRequest), 4 * MiB),
    limit: 4 * MiB,
  },
  { name: "GET /health", method: "GET", path: "/health", guard: "none", body: anyBody },
  {
    name: "GET /health/breakers",
    method: "GET",
    path: "/health/breakers",
    guard: "none",
    body: anyBody,
  },
  outbound("/messages/sms", smsRequest, 16 * 1024),
  outbound("/verify/start", verifyStart, 16 * 1024),
  outbound("/verify/check", verifyCheck, 16 * 1024),
  outbound("/payments/customers", customerRequest, 64 * 1024),
  outbound("/payments/intents", intentRequest, 64 * 1024),
  outbound("/payments/subscriptions", subscriptionRequest, 64 * 1024),
  {
    name: "GET /health/cron",
    method: "GET",
    path: "/health/cron",
    guard: "cron-secret",
    body: anyBody,
  },
  ...EVENTS_ENDPOINTS,
  // Behind STATUS_PASSWORD: fuzzed for what it refuses; the page itself is the e2e test's.
  { name: "GET /status", method: "GET", path: "/status", guard: "none", body: anyBody },
  { name: "GET /status.json", method: "GET", path: "/status.json", guard: "none", body: anyBody },
];
