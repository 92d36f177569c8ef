// The Upstash REST client against this run's real Redis behind the Upstash gateway.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, inject, test } from "vitest";
import { RedisReplyError, createRedis } from "../../../shared/clients/redis.ts";

const redis = createRedis({ ...inject("upstash"), timeoutMs: 2000 });

test("replies come back as Redis gave them: a numeric string stays a string", async () => {
  const key = `client:${randomUUID()}`;
  expect(await redis.send(["SET", key, "123"])).toBe("OK");
  expect(await redis.send(["GET", key])).toBe("123");
  expect(await redis.send(["INCR", key])).toBe(124);
  expect(await redis.send(["GET", `${key}:none`])).toBeNull();
});

test("an error reply fails its own command only, not the others of its batch", async () => {
  const key = `client:${randomUUID()}`;
  const [set, wrong, get] = await Promise.allSettled([
    redis.send(["SET", key, "a"]),
    redis.send(["INCR", key]),
    redis.send(["GET", key]),
  ]);
  expect(set).toEqual({ status: "fulfilled", value: "OK" });
  expect(wrong.status).toBe("rejected");
  const reason = (wrong as PromiseRejectedResult).reason as Error;
  expect(reason).toBeInstanceOf(RedisReplyError);
  expect(reason.message).toMatch(/^ERR value is not an integer/);
  expect(get).toEqual({ status: "fulfilled", value: "a" });
});

test("a refused token fails the batch with Upstash's status and never the token", async () => {
  const token = `wrong-${randomUUID()}`;
  const refused = createRedis({ url: inject("upstash").url, token, timeoutMs: 2000 });
  const failure = await refused.send(["PING"]).catch((error: unknown) => error as Error);
  expect(failure).toBeInstanceOf(Error);
  expect(failure).not.toBeInstanceOf(RedisReplyError);
  expect((failure as Error).message).toBe("Upstash answered 401: Unauthorized");
  expect((failure as Error).message).not.toContain(token);
});

test("a reply cut off by the deadline fails as a timeout, not as Upstash's status", async () => {
  // Upstash's headers arrive, its body never finishes.
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.write('[{"result":');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const stalled = createRedis({ url: `http://127.0.0.1:${port}`, token: "t", timeoutMs: 200 });
    const failure = (await stalled.send(["PING"]).catch((error: unknown) => error)) as Error;
    expect(failure.name).toBe("TimeoutError");
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
