import { afterAll, beforeAll, expect, test } from "vitest";
import { type MockServer, startMock } from "../../mocks/harness.ts";

// A vendor of one word: its answer echoes the path, its error body names the status.
let mock: MockServer;
beforeAll(async () => {
  mock = await startMock({
    answer: (call) => ({ status: 200, json: { path: call.path } }),
    errorBody: (status) => ({ error: status }),
  });
});
afterAll(() => mock.close());

const status = async (path: string) => (await fetch(`${mock.url}${path}`)).status;

test("failWhen fails the requests its rule picks, and only those", async () => {
  mock.failWhen((call) => (call.path === "/flaky" ? "503" : undefined));
  expect([await status("/flaky"), await status("/steady"), await status("/flaky")]).toEqual([
    503, 200, 503,
  ]);
  mock.failWhen(undefined);
  expect(await status("/flaky")).toBe(200);
});

test("a failNext failure is due before the rule's", async () => {
  mock.failWhen(() => "500");
  mock.failNext("429");
  expect([await status("/a"), await status("/b")]).toEqual([429, 500]);
  mock.failWhen(undefined);
});

test("each request is recorded with its path, query, raw text and parsed body", async () => {
  await fetch(`${mock.url}/v1/things?limit=2`, { method: "POST", body: '{"a":1}' });
  expect(mock.calls().at(-1)).toMatchObject({
    method: "POST",
    path: "/v1/things",
    query: { limit: "2" },
    text: '{"a":1}',
    body: { a: 1 },
  });
});
