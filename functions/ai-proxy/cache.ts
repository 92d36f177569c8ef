import { AppError } from "../../shared/http/errors.ts";
import { sha256Hex, utf8 } from "../../shared/webhooks/hmac.ts";
import type { CallerKey } from "./keys.ts";
import type { RouteCache } from "./routes.ts";

/** An answer larger than this is not cached: entries stay small enough for one Redis value. */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** How this request's answer is cached. */
export interface CachePlan {
  /** The entry's Redis key: the scope and the normalised request, hashed; never the proxy key. */
  key: string;
  maxAgeSec: number;
}

export interface CacheRequest {
  /** `x-breakwater-cache`: `max-age=N` or `no-store`. */
  header: string | undefined;
  route: RouteCache | undefined;
  caller: CallerKey;
  /** AI_CACHE_MAX_AGE_SEC: no entry lives longer. */
  capSec: number;
}

/**
 * How long to cache this request's answer, if at all: `no-store` never; else the request's own
 * `max-age=N`, the key's `cache_max_age` or the route's `cache.max_age`, in that order, capped.
 */
export function cacheAge(request: CacheRequest): number | undefined {
  const header = request.header?.trim().toLowerCase();
  if (header === "no-store") return undefined;
  let age: number | undefined;
  if (header) {
    const asked = /^max-age=(\d{1,9})$/.exec(header)?.[1];
    if (asked === undefined) {
      throw new AppError({
        status: 400,
        code: "invalid_cache_header",
        category: "validation",
        message: "x-breakwater-cache must be 'max-age=<seconds>' or 'no-store'",
      });
    }
    age = Number(asked);
  } else {
    age = request.caller.cacheMaxAgeSec ?? request.route?.maxAgeSec;
  }
  return age ? Math.min(age, request.capSec) : undefined;
}

/** JSON with object keys sorted, so the same request always has the same text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * The entry a request maps to. The scope is the caller's key id (entries are never shared
 * between keys) unless the route says its cache is shared; the request is normalised (keys
 * sorted; `stream` and `stream_options` dropped, so a stream and a JSON request share an entry).
 */
export async function cacheKey(options: {
  prefix: string;
  endpoint: string;
  model: string;
  body: Record<string, unknown>;
  caller: CallerKey;
  route: RouteCache | undefined;
}): Promise<string> {
  const { stream: _stream, stream_options: _options, ...request } = options.body;
  const scope = options.route?.shared ? `route:${options.model}` : options.caller.id;
  const digest = await sha256Hex(utf8(`${scope}\n${options.endpoint}\n${canonical(request)}`));
  return `${options.prefix}cache:${digest}`;
}

/**
 * Where this request's answer is cached and for how long, or undefined when it is not cacheable
 * (nothing enables it, or `no-store`).
 */
export async function cachePlan(
  options: CacheRequest & Omit<Parameters<typeof cacheKey>[0], "caller" | "route">,
): Promise<CachePlan | undefined> {
  const maxAgeSec = cacheAge(options);
  if (!maxAgeSec) return undefined;
  return { key: await cacheKey(options), maxAgeSec };
}

/** A cached answer: what served it, and the body the caller got. */
export interface CacheEntry {
  provider: string;
  body: Record<string, unknown>;
}

/** The entry's text, or undefined when it is too large to keep. */
export function cacheEntry(entry: CacheEntry): string | undefined {
  const text = JSON.stringify(entry);
  return utf8(text).byteLength <= MAX_ENTRY_BYTES ? text : undefined;
}

/** A stored entry, or undefined for none (or one this version cannot read). */
export function readEntry(text: string | null): CacheEntry | undefined {
  if (text === null) return undefined;
  try {
    const entry = JSON.parse(text) as Partial<CacheEntry>;
    return typeof entry.provider === "string" && typeof entry.body === "object" && entry.body
      ? (entry as CacheEntry)
      : undefined;
  } catch {
    return undefined;
  }
}
