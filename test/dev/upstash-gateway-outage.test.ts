// The gateway over a private redis-server that the tests flush, stop and start again.
import { createHash, randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, expect, test } from "vitest";
import { waitFor } from "../../dev/services/ports.ts";
import { type RedisServer, startRedis } from "../../dev/services/redis.ts";
import { type UpstashGateway, startUpstashGateway } from "../../dev/upstash-gateway/index.ts";

const token = `outage-${randomUUID()}`;
let server: RedisServer;
let gateway: UpstashGateway;
let redis: Redis;

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const script = `#!lua flags=allow-key-locking\nreturn redis.call("INCR", KEYS[1])`;

beforeAll(async () => {
  server = await startRedis();
  gateway = await startUpstashGateway({ redisUrl: server.url, token });
  redis = new Redis({ url: gateway.url, token });
});

afterAll(async () => {
  await gateway?.close();
  await server?.stop();
});

const post = (path: string, body: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

/** Stops redis-server, runs `whileDown`, starts it again and waits until the gateway answers. */
async function withRedisDown(whileDown: () => Promise<void>) {
  await server.stop();
  try {
    await whileDown();
  } finally {
    await server.start();
    await waitFor("the gateway to reach redis-server again", async () => {
      return (await post("/", ["PING"])).status === 200;
    });
  }
}

test("evalsha with the client's SHA recovers after SCRIPT FLUSH", async () => {
  expect(await redis.eval(script, ["flushed"], [])).toBe(1);
  expect(await redis.scriptFlush()).toBe("OK");
  expect(await redis.scriptExists(sha1(script))).toEqual([0]);

  expect(await redis.evalsha(sha1(script), ["flushed"], [])).toBe(2);
  expect(await redis.scriptExists(sha1(script))).toEqual([1]);
});

test("evalsha inside a transaction recovers after SCRIPT FLUSH", async () => {
  expect(await redis.eval(script, ["flushed-tx"], [])).toBe(1);
  await redis.scriptFlush();

  const results = await redis.multi().evalsha(sha1(script), ["flushed-tx"], []).exec();
  expect(results).toEqual([2]);
});

test("with redis-server down every endpoint answers a 503 error JSON at once", async () => {
  await withRedisDown(async () => {
    for (const [path, body] of [
      ["/", ["PING"]],
      ["/pipeline", [["PING"]]],
      ["/multi-exec", [["PING"]]],
    ] as const) {
      const started = performance.now();
      const response = await post(path, body);
      expect(performance.now() - started).toBeLessThan(500);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        error: expect.stringMatching(/^ERR redis-server is unreachable/),
      });
    }
  });
});

test("once redis-server is back the gateway serves again and re-loads the scripts it knows", async () => {
  expect(await redis.eval(script, ["restarted"], [])).toBe(1);
  // A restart empties Redis: its keys and its script cache.
  await withRedisDown(async () => {});

  expect(await redis.get("restarted")).toBeNull();
  expect(await redis.evalsha(sha1(script), ["restarted"], [])).toBe(1);
});
