import { Redis } from "ioredis";

/** Delay between reconnection attempts: short, so a restarted redis-server is used again soon. */
const RECONNECT_DELAY_MS = 50;

/**
 * Connects to redis-server for the gateway and resolves once it is ready; rejects if the first
 * attempt fails. While it is unreachable later on, commands fail at once (no offline queue, no
 * retries, no re-sending of unanswered commands) so that the gateway answers 503 promptly, and
 * ioredis keeps reconnecting in the background.
 */
export async function connectRedis(redisUrl: string): Promise<Redis> {
  const { host } = new URL(redisUrl); // also rejects a malformed URL before anything starts
  const redis = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: () => RECONNECT_DELAY_MS,
  });
  // Outages are reported per request; without a listener ioredis logs every failed reconnect.
  let lastError: unknown;
  redis.on("error", (error: unknown) => (lastError = error));
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    // Only the host: the URL may carry a password. The socket's error says more than connect's.
    throw new Error(`Upstash gateway: cannot connect to redis-server at ${host}`, {
      cause: lastError ?? error,
    });
  }
  return redis;
}
