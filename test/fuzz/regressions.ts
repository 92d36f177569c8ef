import type { FuzzCase } from "./cases.ts";
import type { Endpoint } from "./endpoints.ts";
import { utf8 } from "./values.ts";

// Counterexamples this suite has found, replayed first on every run (fast-check's `examples`)
// whatever the seed: a fixed seed with a few hundred cases need not meet them again, and a fix
// must keep them passing. Each is the shrunk case, or a minimal hand-written one of its kind.

const deepObject = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
const deepArray = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

/** The plainest request to `endpoint` with `body`: its method, its natural type, a valid key. */
function plain(endpoint: Endpoint, body: string, natural = "application/json"): FuzzCase {
  const signed = endpoint.guard === "stripe" || endpoint.guard === "twilio";
  return {
    method: endpoint.method,
    suffix: "",
    query: "",
    contentType: { kind: "natural", variant: 0 },
    auth: { kind: "valid", form: 0 },
    signature: signed
      ? { kind: "valid", key: 0, form: 0, skew: 0, bodyHash: "correct" }
      : { kind: "none" },
    requestIds: [],
    extra: [],
    body: { bytes: utf8(body), natural },
    framing: "length",
  };
}

export interface Regression {
  /** The endpoint's name, as in ENDPOINTS. */
  endpoint: string;
  /** What goes wrong: the test's name. */
  title: string;
  case: (endpoint: Endpoint) => FuzzCase;
}

const now = () => Math.floor(Date.now() / 1000);

export const REGRESSIONS: Regression[] = [
  {
    // A signed event nested deeper than PostgreSQL's jsonb input takes (max_stack_depth): the
    // RPC fails with SQLSTATE 54001, which PostgREST answers 500, and the receiver answers 503
    // "retry later" (Stripe would retry it for days) and counts a failure against the database
    // breaker: five such events open it, and every webhook is refused for a minute.
    endpoint: "POST /webhooks/stripe",
    title: "a signed event nested 30k levels deep is answered 503, not 4xx",
    case: (endpoint) =>
      plain(
        endpoint,
        `{"id":"evt_fuzz_deep_${crypto.randomUUID().slice(0, 8)}","object":"event",` +
          `"type":"charge.refunded","created":${now()},"livemode":false,` +
          `"data":{"object":{"id":"ch_fuzz","metadata":${deepObject(30_000)}}}}`,
      ),
  },
  {
    // Malformed parts and tool calls reach the Gemini and Anthropic translators unchecked; their
    // TypeError is taken for a network failure: retried, counted against the provider's breaker,
    // answered 502 "<provider> could not be reached".
    endpoint: "POST /v1/chat/completions",
    title: "a null content part for Gemini is answered 502, not 400",
    case: (endpoint) =>
      plain(endpoint, `{"model":"gemini","messages":[{"role":"user","content":[null]}]}`),
  },
  {
    endpoint: "POST /v1/chat/completions",
    title: "tool_calls that is not an array, for Anthropic, is answered 502, not 400",
    case: (endpoint) =>
      plain(endpoint, `{"model":"claude","messages":[{"role":"assistant","tool_calls":{}}]}`),
  },
  {
    // JSON.parse takes any depth, JSON.stringify of the upstream body overflows the stack: the
    // RangeError is taken for a network failure, 502 "openai could not be reached".
    endpoint: "POST /v1/images/generations",
    title: "a field nested 10k levels deep is answered 502, not 400",
    case: (endpoint) =>
      plain(endpoint, `{"model":"embed","prompt":"cat","style":${deepArray(10_000)}}`),
  },
  {
    // A trailing slash (or `/.`, which URL parsing turns into one) gets a 405 that refuses the
    // very method its Allow header offers, on every endpoint.
    endpoint: "GET /health",
    title: "GET /health/ is refused 405 with Allow: GET, HEAD",
    case: (endpoint) => ({ ...plain(endpoint, ""), suffix: "/", auth: { kind: "none" } }),
  },
  {
    // A lone UTF-16 surrogate in a key's name is valid JSON but not text PostgreSQL stores: the
    // RPC failed and the admin API answered 503 "key store unavailable".
    endpoint: "POST /admin/keys",
    title: "a name holding a lone surrogate is answered 503, not 400",
    case: (endpoint) => plain(endpoint, '{"name":"\\ud800"}'),
  },
];
