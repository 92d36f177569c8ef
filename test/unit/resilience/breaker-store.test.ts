import { createRedis } from "../../../shared/clients/redis.ts";
import { inject } from "vitest";
import { MemoryBreakerStore } from "../../../shared/resilience/breaker/memory-store.ts";
import { RedisBreakerStore } from "../../../shared/resilience/breaker/redis-store.ts";
import { breakerStoreContract } from "./breaker-store.contract.ts";

const redis = () => createRedis({ ...inject("upstash"), timeoutMs: 2000 });
const prefix = () => `test:${crypto.randomUUID()}:`;

breakerStoreContract("memory", () => new MemoryBreakerStore());
breakerStoreContract("redis", () => new RedisBreakerStore({ redis: redis(), prefix: prefix() }));
// What Upstash runs: the same scripts behind the key-locking shebang line.
breakerStoreContract(
  "redis (key-locking scripts)",
  () => new RedisBreakerStore({ redis: redis(), prefix: prefix(), keyLocking: true }),
);
