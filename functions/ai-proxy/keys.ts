import type { Database } from "../../shared/clients/database.ts";
import { BoundedMap } from "../../shared/bounded-map.ts";
import { AppError } from "../../shared/http/errors.ts";
import { sha256Hex, utf8 } from "../../shared/webhooks/hmac.ts";

/** A key's spend budget, and what Postgres said it had spent when the key was looked up. */
export interface Budget {
  usd: number;
  period: "day" | "month";
  /** ai_usage's spend in the period starting at `periodStart`: what a wiped counter restarts from. */
  spentUsd: number;
  periodStart: number;
}

/** The caller behind a proxy key. */
export interface CallerKey {
  /** Stable and safe to log and record: never the key itself. */
  id: string;
  requestsPerMinute: number;
  tokensPerMinute: number | undefined;
  /** Public model names it may ask for; undefined: every one. */
  models?: ReadonlySet<string>;
  budget?: Budget;
  /** Its answers are cached this long unless the request says otherwise. */
  cacheMaxAgeSec?: number;
  /** It may name `provider:model` directly. */
  allowDirectModels: boolean;
}

export interface KeyStoreOptions {
  /** PROXY_API_KEYS: keys configured in the environment (small and local deployments). */
  envKeys: readonly string[];
  /** Keys in Postgres (`api_keys`, SHA-256 hashed, revocable). */
  db: Database;
  defaultRequestsPerMinute: number;
  /** How long this isolate trusts a found key (a revocation takes at most this long to bite). */
  cacheMs: number;
  /** How long this isolate remembers that a hash is no key: one lookup per hash per this. */
  negativeCacheMs: number;
  /** Reserves a lookup for the caller's address (429 when it failed too often); see auth-limit.ts. */
  reserveLookup(address: string): Promise<() => Promise<unknown>>;
}

/** Where a request came from, and how to run work after its response. */
export interface AuthContext {
  address: string;
  defer: (pending: Promise<unknown>) => void;
}

interface KeyRow {
  id: string;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  budget_usd: number | string | null;
  budget_period: "day" | "month" | null;
  models: string[] | null;
  expires_at: string | null;
  cache_max_age: number | null;
  allow_direct_models: boolean;
  revoked_at: string | null;
  period_start: string | null;
  spend_usd: number | string | null;
}

/** A looked-up key: what it grants, and until when. */
interface Found {
  key: CallerKey;
  expiresAt: number | undefined;
  revoked: boolean;
}

const unauthorized = (message: string) =>
  new AppError({ status: 401, code: "invalid_api_key", category: "authentication", message });

function found(row: KeyRow, defaultRequestsPerMinute: number): Found {
  const key: CallerKey = {
    id: `key_${row.id}`,
    requestsPerMinute: row.requests_per_minute ?? defaultRequestsPerMinute,
    tokensPerMinute: row.tokens_per_minute ?? undefined,
    allowDirectModels: row.allow_direct_models,
  };
  if (row.models) key.models = new Set(row.models);
  if (row.cache_max_age) key.cacheMaxAgeSec = row.cache_max_age;
  if (row.budget_usd !== null && row.budget_period && row.period_start) {
    key.budget = {
      usd: Number(row.budget_usd),
      period: row.budget_period,
      spentUsd: Number(row.spend_usd ?? 0),
      periodStart: Date.parse(row.period_start),
    };
  }
  return {
    key,
    expiresAt: row.expires_at ? Date.parse(row.expires_at) : undefined,
    revoked: row.revoked_at !== null,
  };
}

/**
 * Authenticates proxy keys. Keys are compared by their SHA-256, so neither the configured keys
 * nor the database ever see a presented key in the clear. Lookups are cached per isolate, found
 * and not found alike, and a lookup that is not cached first reserves one of the caller's
 * address's failures (reserveLookup), so unknown keys cost Postgres a bounded number of calls.
 */
export function createKeyStore(options: KeyStoreOptions) {
  const envHashes = Promise.all(options.envKeys.map((key) => sha256Hex(utf8(key))));
  const cache = new BoundedMap<string, { found: Found | null; until: number }>(10_000);
  // Each presented key's hash, computed once per isolate rather than on every request. The
  // isolate holds the key only as long as it is in use; the cache is bounded like the one above.
  const hashes = new BoundedMap<string, Promise<string>>(10_000);
  const hashOf = (token: string) => {
    let hash = hashes.get(token);
    if (!hash) hashes.set(token, (hash = sha256Hex(utf8(token))));
    return hash;
  };

  async function lookup(hash: string): Promise<Found | null> {
    const { data, error } = await options.db.rpc("ai_key_lookup", { key_hash: hash });
    if (error) {
      throw new AppError({
        status: 503,
        code: "key_store_unavailable",
        category: "external_service",
        message: "Keys cannot be checked right now; retry later",
      });
    }
    const row = (data as KeyRow[])[0];
    return row ? found(row, options.defaultRequestsPerMinute) : null;
  }

  return {
    /** The caller of `authorization` (a Bearer header), or a thrown 401 / 429 / 503. */
    async authenticate(
      authorization: string | undefined,
      context: AuthContext,
    ): Promise<CallerKey> {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
      if (!token) throw unauthorized("Missing API key: send Authorization: Bearer <key>");
      const hash = await hashOf(token);
      if ((await envHashes).includes(hash)) {
        return {
          id: `env_${hash.slice(0, 12)}`,
          requestsPerMinute: options.defaultRequestsPerMinute,
          tokensPerMinute: undefined,
          allowDirectModels: false,
        };
      }
      const now = Date.now();
      let cached = cache.get(hash);
      if (!cached || cached.until <= now) {
        const refund = await options.reserveLookup(context.address);
        const result = await lookup(hash);
        if (result) context.defer(refund());
        cached = {
          found: result,
          until: now + (result ? options.cacheMs : options.negativeCacheMs),
        };
        cache.set(hash, cached);
      }
      const { found } = cached;
      if (!found) throw unauthorized("Incorrect API key provided");
      if (found.revoked) throw unauthorized("This API key has been revoked");
      if (found.expiresAt !== undefined && found.expiresAt <= now) {
        throw unauthorized("This API key has expired");
      }
      return found.key;
    },
  };
}

/** Refuses a model the key is not allowed (403 `model_not_allowed`). */
export function authorizeModel(caller: CallerKey, model: string): void {
  if (caller.models && !caller.models.has(model)) {
    throw new AppError({
      status: 403,
      code: "model_not_allowed",
      category: "authorization",
      param: "model",
      message: "This API key may not use this model",
    });
  }
}
