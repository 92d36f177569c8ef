import type { Database } from "../../shared/clients/database.ts";
import { BoundedMap } from "../../shared/bounded-map.ts";
import { AppError } from "../../shared/http/errors.ts";
import { sha256Hex, utf8 } from "../../shared/webhooks/hmac.ts";

/** The caller behind a proxy key. */
export interface CallerKey {
  /** Stable and safe to log and record: never the key itself. */
  id: string;
  requestsPerMinute: number;
  tokensPerMinute: number | undefined;
}

export interface KeyStoreOptions {
  /** PROXY_API_KEYS: keys configured in the environment (small and local deployments). */
  envKeys: readonly string[];
  /** Keys in Postgres (`api_keys`, SHA-256 hashed, revocable). */
  db: Database;
  defaultRequestsPerMinute: number;
  /** How long this isolate trusts a lookup (a revocation takes at most this long to bite). */
  cacheMs: number;
}

const unauthorized = (message: string) =>
  new AppError({ status: 401, code: "invalid_api_key", category: "authentication", message });

/**
 * Authenticates proxy keys. Keys are compared by their SHA-256, so neither the configured keys
 * nor the database ever see a presented key in the clear, and lookups are cached per isolate.
 */
export function createKeyStore(options: KeyStoreOptions) {
  const envHashes = Promise.all(options.envKeys.map((key) => sha256Hex(utf8(key))));
  const cache = new BoundedMap<string, { key: CallerKey | null; until: number }>(10_000);
  // Each presented key's hash, computed once per isolate rather than on every request. The
  // isolate holds the key only as long as it is in use; the cache is bounded like the one above.
  const hashes = new BoundedMap<string, Promise<string>>(10_000);
  const hashOf = (token: string) => {
    let hash = hashes.get(token);
    if (!hash) hashes.set(token, (hash = sha256Hex(utf8(token))));
    return hash;
  };

  async function lookup(hash: string): Promise<CallerKey | null> {
    const { data, error } = await options.db.rpc("ai_key_lookup", { key_hash: hash });
    if (error) {
      throw new AppError({
        status: 503,
        code: "key_store_unavailable",
        category: "external_service",
        message: "Keys cannot be checked right now; retry later",
      });
    }
    const row = (
      data as { id: string; requests_per_minute: number | null; tokens_per_minute: number | null }[]
    )[0];
    return row
      ? {
          id: `key_${row.id}`,
          requestsPerMinute: row.requests_per_minute ?? options.defaultRequestsPerMinute,
          tokensPerMinute: row.tokens_per_minute ?? undefined,
        }
      : null;
  }

  return {
    /** The caller of `authorization` (a Bearer header), or a thrown 401 / 503. */
    async authenticate(authorization: string | undefined): Promise<CallerKey> {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
      if (!token) throw unauthorized("Missing API key: send Authorization: Bearer <key>");
      const hash = await hashOf(token);
      if ((await envHashes).includes(hash)) {
        return {
          id: `env_${hash.slice(0, 12)}`,
          requestsPerMinute: options.defaultRequestsPerMinute,
          tokensPerMinute: undefined,
        };
      }
      const now = Date.now();
      let cached = cache.get(hash);
      if (!cached || cached.until <= now) {
        cached = { key: await lookup(hash), until: now + options.cacheMs };
        cache.set(hash, cached);
      }
      if (!cached.key) throw unauthorized("Incorrect API key provided");
      return cached.key;
    },
  };
}
