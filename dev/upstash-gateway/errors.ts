import { ReplyError } from "ioredis";

/** A failure answered as the whole HTTP response: `status` with Upstash's `{"error": message}`. */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** True when Redis itself answered with an error reply (as opposed to not answering at all). */
export function isReplyError(error: unknown): error is Error {
  return error instanceof ReplyError;
}

/** Anything ioredis throws that is not a Redis reply means redis-server could not be reached. */
export function unreachable(error: unknown): GatewayError {
  const reason = error instanceof Error ? error.message : String(error);
  return new GatewayError(503, `ERR redis-server is unreachable: ${reason}`);
}
