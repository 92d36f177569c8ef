/** One Redis command as sent: its name, then its arguments. */
export type RedisCommand = readonly (string | number)[];

/** Redis answered a command with an error reply (`NOSCRIPT …`, `WRONGTYPE …`). */
export class RedisReplyError extends Error {
  override name = "RedisReplyError";
}

/**
 * Upstash's REST API, the part the functions use: commands in, Redis's replies out, as JSON
 * (integers as numbers, strings as strings, nil as null, arrays as arrays; nothing reinterpreted).
 */
export interface Redis {
  /**
   * Sends one command. Every command sent in the same tick travels in one HTTP request (Upstash's
   * `/pipeline`), so the request path's checks share one round trip. Rejects with a
   * `RedisReplyError` for an error reply, with the request's own error when the round trip fails.
   */
  send(command: RedisCommand): Promise<unknown>;
}

export interface RedisOptions {
  url: string;
  token: string;
  /** Per-request deadline: requests wait on Redis for at most this long. */
  timeoutMs: number;
}

/**
 * Microtask turns a batch stays open: a request's checks are issued a few promise steps apart
 * (the breaker's gate waits on Redis's own in-memory breaker first), all before its first I/O.
 * A macrotask would be surer but costs a millisecond on Node-based runtimes (Vercel Edge).
 */
export const BATCH_TURNS = 8;

// Promise reactions, not queueMicrotask: each of those calls crosses into workerd's C++ and back,
// which the proxy's CPU profile showed as the dearest part of batching.
function afterMicrotasks(turns: number, run: () => void): void {
  let turn = Promise.resolve();
  for (let i = 1; i < turns; i++) turn = turn.then();
  void turn.then(run);
}

interface Pending {
  command: RedisCommand;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

type Reply = { result: unknown } | { error: string };

/**
 * An Upstash REST client for the request path, written for it: no retries (callers decide what a
 * failure means: fail open, fall back to memory), one deadline per round trip, commands of a
 * tick batched, replies passed on as Upstash's JSON has them. The official client's proxy per
 * command, command objects and reply deserialisation cost the proxy's hot path more CPU than the
 * rest of its Redis work (docs/benchmark.md); the gateway tests hold this one to the same wire
 * format the official client speaks.
 */
export function createRedis(options: RedisOptions): Redis {
  const endpoint = `${options.url.replace(/\/+$/, "")}/pipeline`;
  const headers = {
    authorization: `Bearer ${options.token}`,
    "content-type": "application/json",
  };
  let queued: Pending[] = [];

  async function flush(batch: Pending[]) {
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        headers,
        body: JSON.stringify(batch.map((one) => one.command)),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // A body cut off (the deadline fired mid-read) fails as itself; an error page is a status.
      const body: unknown = await response.json().catch((error: unknown) => {
        if (response.ok) throw error;
        return undefined;
      });
      if (!response.ok) {
        const said = (body as { error?: unknown } | undefined)?.error;
        throw new Error(
          `Upstash answered ${response.status}${typeof said === "string" ? `: ${said}` : ""}`,
        );
      }
      if (!Array.isArray(body) || body.length !== batch.length) {
        throw new Error(`Upstash's answer does not hold one reply per command (${batch.length})`);
      }
      batch.forEach((one, i) => {
        const reply = body[i] as Reply;
        if ("error" in reply) one.reject(new RedisReplyError(reply.error));
        else one.resolve(reply.result);
      });
    } catch (error) {
      for (const one of batch) one.reject(error);
    }
  }

  return {
    send(command) {
      return new Promise((resolve, reject) => {
        if (queued.length === 0) {
          afterMicrotasks(BATCH_TURNS, () => {
            const batch = queued;
            queued = [];
            void flush(batch);
          });
        }
        queued.push({ command, resolve, reject });
      });
    },
  };
}

/** A flat `[field, value, …]` reply (HGETALL) as a record. */
export function pairs(flat: readonly unknown[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[String(flat[i])] = flat[i + 1];
  return record;
}
