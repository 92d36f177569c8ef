import { describe, expect, test } from "vitest";
import { isAppError } from "../../../shared/http/errors.ts";
import { isUpstreamModelName } from "../../../shared/providers/model-name.ts";
import { parseRoutes, resolveModel } from "../../../functions/ai-proxy/routes.ts";

const known = new Set(["openai", "anthropic", "gemini", "fal"]);
const configured = known;
const name = (t: { provider: string; model: string }) => `${t.provider}:${t.model}`;

describe("model names", () => {
  test.each([
    "gpt-4o-mini",
    "fal-ai/flux/schnell",
    "fal-ai/flux-pro/v1.1-ultra",
    "ft:gpt-4o-mini:org:custom:abc123",
    "claude-3-5-haiku@20241022",
    "anthropic.claude-v2:1",
  ])("%s is a model name", (model) => {
    expect(isUpstreamModelName(model)).toBe(true);
  });

  test.each([
    "fal-ai/../../other",
    "..",
    "a..b",
    "/etc/passwd",
    "fal-ai//flux",
    "fal-ai/flux/",
    "./x",
    "gpt?x=1",
    "gpt#frag",
    "gpt%2F..%2Fx",
    "gpt 4",
    "gpt\t4",
    "gpt\u0000",
    "gpt\n",
    "http://127.0.0.1:1/steal",
    "",
    "x".repeat(201),
  ])("%j is refused", (model) => {
    expect(isUpstreamModelName(model)).toBe(false);
  });
});

describe("routes", () => {
  test("the array form keeps its order, as before", () => {
    const routes = parseRoutes(
      { chat: ["openai:gpt-4o-mini", "anthropic:claude-3-5-haiku-latest"] },
      known,
    );
    expect(resolveModel("chat", routes, configured).map(name)).toEqual([
      "openai:gpt-4o-mini",
      "anthropic:claude-3-5-haiku-latest",
    ]);
  });

  test("a route skips providers that are not configured", () => {
    const routes = parseRoutes({ chat: ["openai:gpt-4o-mini", "gemini:gemini-2.0-flash"] }, known);
    expect(resolveModel("chat", routes, new Set(["gemini"])).map(name)).toEqual([
      "gemini:gemini-2.0-flash",
    ]);
  });

  const weighted = {
    chat: {
      targets: [
        { model: "openai:gpt-4o-mini", weight: 3 },
        { model: "gemini:gemini-2.0-flash", weight: 1 },
      ],
      fallback: ["anthropic:claude-3-5-haiku-latest"],
    },
  };

  test("weights 3:1 put the first target first in proportion, the other after it, the fallback last", () => {
    const routes = parseRoutes(weighted, known);
    const firsts = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const order = resolveModel("chat", routes, configured, { random: () => (i + 0.5) / 400 });
      expect(order).toHaveLength(3);
      expect(name(order[2]!)).toBe("anthropic:claude-3-5-haiku-latest");
      expect(new Set(order.slice(0, 2).map(name))).toEqual(
        new Set(["openai:gpt-4o-mini", "gemini:gemini-2.0-flash"]),
      );
      firsts.set(name(order[0]!), (firsts.get(name(order[0]!)) ?? 0) + 1);
    }
    expect(firsts.get("openai:gpt-4o-mini")).toBe(300);
    expect(firsts.get("gemini:gemini-2.0-flash")).toBe(100);
  });

  test("a random draw of exactly 1 still picks a target", () => {
    const routes = parseRoutes(weighted, known);
    expect(resolveModel("chat", routes, configured, { random: () => 1 })).toHaveLength(3);
  });

  test("the object form takes a cache", () => {
    const routes = parseRoutes(
      { chat: { targets: ["openai:gpt-4o-mini"], cache: { max_age: 60, shared: true } } },
      known,
    );
    expect(routes.chat).toEqual({
      targets: [{ provider: "openai", model: "gpt-4o-mini" }],
      fallback: [],
      cache: { maxAgeSec: 60, shared: true },
    });
  });

  test.each([
    [{ chat: [] }, /non-empty/],
    [{ chat: { targets: [] } }, /non-empty/],
    [{ chat: { targets: [{ model: "openai:gpt-4o", weight: 0 }] } }, /weight/],
    [{ chat: { targets: [{ model: "openai:gpt-4o", weight: "3" }] } }, /weight/],
    [
      { chat: { targets: [{ model: "openai:gpt-4o", weight: 1 }, "gemini:gemini-2.0-flash"] } },
      /every target/,
    ],
    [{ chat: { targets: ["openai:gpt-4o"], cache: { max_age: -1 } } }, /cache/],
    [{ chat: { targets: ["openai:gpt-4o"], cache: { max_age: 5, shared: "yes" } } }, /shared/],
    [{ chat: { targets: ["openai:gpt-4o"], retries: 3 } }, /unknown field/],
    [{ chat: ["fal:fal-ai/../../other"] }, /not a model name/],
    [{ chat: ["nope:model"] }, /unknown provider/],
    [{ chat: "openai:gpt-4o" }, /list or an object/],
  ])("AI_ROUTES %j is refused when parsed", (value, message) => {
    expect(() => parseRoutes(value, known)).toThrow(message);
  });
});

describe("direct provider:model names", () => {
  test("are not served unless allowed", () => {
    expect(resolveModel("openai:gpt-4o", {}, configured)).toEqual([]);
    expect(resolveModel("openai:gpt-4o", {}, configured, { allowDirect: true })).toEqual([
      { provider: "openai", model: "gpt-4o" },
    ]);
  });

  test("that would leave the model's path are refused with 400 naming model", () => {
    let error: unknown;
    try {
      resolveModel("fal:fal-ai/../../other", {}, configured, { allowDirect: true });
    } catch (caught) {
      error = caught;
    }
    expect(isAppError(error) && [error.status, error.param]).toEqual([400, "model"]);
  });
});
