// The real @upstash/redis client against the gateway over this run's redis-server.
import { createHash, randomUUID } from "node:crypto";
import { Redis, errors } from "@upstash/redis";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";

const token = `client-${randomUUID()}`;
const prefix = `gw-client:${randomUUID()}:`;
let gateway: UpstashGateway;
let redis: Redis;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/**
 * The client batches commands into /pipeline by default (auto-pipelining); with it off, each
 * command is its own POST to /. Both paths carry the basics.
 */
const modes = ["auto-pipelined", "one request per command"] as const;
const client = (
  mode: (typeof modes)[number],
  options: { automaticDeserialization?: boolean } = {},
) =>
  new Redis({
    url: gateway.url,
    token,
    enableAutoPipelining: mode === "auto-pipelined",
    ...options,
  });

beforeAll(async () => {
  gateway = await startUpstashGateway({ redisUrl: inject("redisUrl"), token });
  redis = new Redis({ url: gateway.url, token });
});

afterAll(() => gateway?.close());

test.each(modes)("strings, JSON, hashes and counters round-trip (%s)", async (mode) => {
  const redis = client(mode);
  const key = (name: string) => `${prefix}${mode}:${name}`;
  await redis.set(key("text"), "hello");
  await redis.set(key("json"), { a: 1, list: [true, null, "x"] });
  await redis.hset(key("hash"), { name: "Ada", visits: 3 });

  expect(await redis.get(key("text"))).toBe("hello");
  expect(await redis.get(key("json"))).toEqual({ a: 1, list: [true, null, "x"] });
  expect(await redis.hgetall(key("hash"))).toEqual({ name: "Ada", visits: 3 });
  expect(await redis.incr(key("n"))).toBe(1);
  expect(await redis.incrby(key("n"), 41)).toBe(42);
  expect(await redis.decr(key("n"))).toBe(41);
  expect(await redis.get(key("missing"))).toBeNull();
});

test.each(modes)("unicode and binary-looking strings come back exactly (%s)", async (mode) => {
  // No JSON parsing on the client side: what comes back is exactly what the gateway sent.
  const exact = client(mode, { automaticDeserialization: false });
  const values = ["héllo wörld ✓ 🚀 中文", "OK", "T0s=", "42", "null", "\u0000\u0001\u007f", ""];
  const entries = values.map((value) => [`${prefix}exact:${randomUUID()}`, value] as const);
  await Promise.all(entries.map(([key, value]) => exact.set(key, value)));

  for (const [key, value] of entries) expect(await exact.get(key)).toBe(value);
  // Inside an array "OK" must come base64-encoded too, or the client decodes it to garbage.
  expect(await exact.mget(...entries.map(([key]) => key))).toEqual(values);
});

test("a pipeline runs every command and reports each one's error on its own", async () => {
  const pipeline = redis.pipeline();
  pipeline.set(`${prefix}p:text`, "x");
  pipeline.incr(`${prefix}p:text`);
  pipeline.incr(`${prefix}p:n`);
  const results = await pipeline.exec({ keepErrors: true });

  expect(results.map(({ result, error }) => error ?? result)).toEqual([
    "OK",
    "ERR value is not an integer or out of range",
    1,
  ]);
});

test("a multi-exec transaction answers each command's result in order", async () => {
  const key = `${prefix}tx:n`;
  const results = await redis.multi().set(key, 10).incr(key).get(key).exec();
  expect(results).toEqual(["OK", 11, 11]);
});

test("a command failing inside a transaction is reported alone and the rest still apply", async () => {
  const results = await redis
    .multi()
    .set(`${prefix}tx:text`, "x")
    .incr(`${prefix}tx:text`)
    .set(`${prefix}tx:after`, "applied")
    .exec({ keepErrors: true });

  expect(results.map(({ result, error }) => error ?? result)).toEqual([
    "OK",
    "ERR value is not an integer or out of range",
    "OK",
  ]);
  expect(await redis.get(`${prefix}tx:after`)).toBe("applied");
});

test.each(modes)(
  "a Redis error reply surfaces as UpstashError with Redis's message (%s)",
  async (mode) => {
    const redis = client(mode);
    const key = `${prefix}${mode}:err`;
    await redis.set(key, "x");
    const failure = redis.incr(key);
    await expect(failure).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(failure).rejects.toThrow(/ERR value is not an integer or out of range/);
  },
);

test("a client with the wrong token is rejected", async () => {
  const intruder = new Redis({ url: gateway.url, token: "wrong", retry: false });
  await expect(intruder.get(`${prefix}text`)).rejects.toThrow(/Unauthorized/);
});

test.each(modes)(
  "eval and evalsha run a #!lua flags=allow-key-locking script (%s)",
  async (mode) => {
    const redis = client(mode);
    const script = `#!lua flags=allow-key-locking\nreturn redis.call("INCRBY", KEYS[1], ARGV[1])`;
    const key = `${prefix}lua:${randomUUID()}`;
    expect(await redis.eval(script, [key], ["5"])).toBe(5);
    expect(await redis.evalsha(sha1(script), [key], ["2"])).toBe(7);
  },
);

test("eval_ro and evalsha_ro keep the script's other flags", async () => {
  // EVAL_RO only runs a shebang script that still says no-writes.
  const script = `#!lua flags=allow-key-locking,no-writes\nreturn redis.call("GET", KEYS[1])`;
  await redis.set(`${prefix}ro`, "read me");
  expect(await redis.evalRo(script, [`${prefix}ro`], [])).toBe("read me");
  expect(await redis.evalshaRo(sha1(script), [`${prefix}ro`], [])).toBe("read me");
});

test("SCRIPT LOAD answers the client's SHA, and SCRIPT EXISTS knows it", async () => {
  const script = `#!lua flags=allow-key-locking\nreturn "loaded ${randomUUID()}"`;
  expect(await redis.scriptLoad(script)).toBe(sha1(script));
  expect(await redis.scriptExists(sha1(script), sha1("never sent"))).toEqual([1, 0]);
});

test("an unknown SHA still answers NOSCRIPT, so the client falls back to EVAL", async () => {
  const script = `#!lua flags=allow-key-locking\nreturn "fresh ${randomUUID()}"`;
  await expect(redis.evalsha(sha1(script), [], [])).rejects.toThrow(/NOSCRIPT/);
  const fallback = redis.createScript<string>(script);
  expect(await fallback.exec([], [])).toMatch(/^fresh /);
  expect(await redis.evalsha(sha1(script), [], [])).toMatch(/^fresh /);
});

test("errors in a rewritten script report the client's line numbers", async () => {
  const script = `#!lua flags=allow-key-locking\nlocal key = KEYS[1]\nreturn redis.call("INCR", key)`;
  await redis.set(`${prefix}lua:text`, "x");
  await expect(redis.eval(script, [`${prefix}lua:text`], [])).rejects.toThrow(/user_script:3/);
});
