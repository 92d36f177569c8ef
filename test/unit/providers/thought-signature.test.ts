import { expect, test } from "vitest";
import { toContents } from "../../../shared/providers/gemini/contents.ts";
import { idWithSignature, signatureFromId } from "../../../shared/providers/signature.ts";

const SIGNATURE = "++++/wECA/7/CQo=";

test("a thought signature folded into a call id comes back out of it whole", () => {
  const id = idWithSignature({
    id: "call_abc_0",
    extra_content: { google: { thought_signature: SIGNATURE } },
  });
  expect(id).toMatch(/^call_abc_0__ts_[A-Za-z0-9_-]+$/);
  expect(signatureFromId(id)).toEqual({
    id: "call_abc_0",
    extra_content: { google: { thought_signature: SIGNATURE } },
  });
});

test("an id without a signature is left as it is, both ways", () => {
  expect(idWithSignature({ id: "toolu_01" })).toBe("toolu_01");
  expect(signatureFromId("toolu_01")).toEqual({ id: "toolu_01" });
});

test("a replayed call sends Gemini its own signature, and one that lost it the documented stand-in", () => {
  const { contents } = toContents([
    { role: "user", content: "weather?" },
    {
      role: "assistant",
      tool_calls: [
        {
          id: "call_1",
          type: "function",
          function: { name: "get_weather", arguments: "{}" },
          extra_content: { google: { thought_signature: SIGNATURE } },
        },
        { id: "call_2", type: "function", function: { name: "get_time", arguments: "{}" } },
      ],
    },
  ]);
  expect(contents[1]!.parts).toEqual([
    { functionCall: { name: "get_weather", args: {} }, thoughtSignature: SIGNATURE },
    {
      functionCall: { name: "get_time", args: {} },
      thoughtSignature: "skip_thought_signature_validator",
    },
  ]);
});
