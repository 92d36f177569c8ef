import type { Database } from "../../shared/clients/database.ts";
import { AppError } from "../../shared/http/errors.ts";
import { sha256Hex, utf8 } from "../../shared/webhooks/hmac.ts";

/** What a new key may be given (the body of POST /admin/keys, the flags of `npm run keys create`). */
export interface NewKey {
  name: string;
  requests_per_minute?: number;
  tokens_per_minute?: number;
  budget_usd?: number;
  budget_period?: "day" | "month";
  /** Public model names it may ask for; absent: every model. */
  models?: string[];
  expires_at?: string;
  cache_max_age?: number;
  allow_direct_models?: boolean;
}

/** A key as listed: never the key or its hash. */
export interface KeyListing {
  id: string;
  name: string;
  prefix: string | null;
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  budget_usd: number | null;
  budget_period: "day" | "month" | null;
  models: string[] | null;
  expires_at: string | null;
  cache_max_age: number | null;
  allow_direct_models: boolean;
  created_at: string;
  revoked_at: string | null;
  /** Spend since the start of the current period: the budget's, or the month for a key without one. */
  period_start: string;
  spend_usd: number;
}

const invalid = (field: string, message: string) =>
  new AppError({
    status: 400,
    code: "invalid_request",
    category: "validation",
    message,
    details: { field },
  });

const unavailable = () =>
  new AppError({
    status: 503,
    code: "key_store_unavailable",
    category: "external_service",
    message: "The key store cannot be reached right now; retry later",
  });

/** Text a name may hold: no control characters, no lone UTF-16 surrogates (Postgres refuses both). */
const printable = (text: string) => !/[\p{Cc}\p{Cs}]/u.test(text);

const FIELDS = new Set([
  "name",
  "requests_per_minute",
  "tokens_per_minute",
  "budget_usd",
  "budget_period",
  "models",
  "expires_at",
  "cache_max_age",
  "allow_direct_models",
]);

function whole(body: Record<string, unknown>, field: string, max: number): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw invalid(field, `'${field}' must be a whole number from 1 to ${max}`);
  }
  return value as number;
}

/** Checks a new key's settings; throws 400 naming the first field that is wrong. */
export function newKeyRequest(body: unknown, now = Date.now()): NewKey {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("body", "The request body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).find((field) => !FIELDS.has(field));
  if (unknown) throw invalid(unknown, `Unknown field '${unknown.slice(0, 64)}'`);
  if (
    typeof b.name !== "string" ||
    b.name.trim() === "" ||
    b.name.length > 100 ||
    !printable(b.name)
  ) {
    throw invalid("name", "'name' is required: 1 to 100 printable characters");
  }
  const key: NewKey = { name: b.name.trim() };
  const rpm = whole(b, "requests_per_minute", 1_000_000);
  if (rpm) key.requests_per_minute = rpm;
  const tpm = whole(b, "tokens_per_minute", 1_000_000_000);
  if (tpm) key.tokens_per_minute = tpm;
  const cacheMaxAge = whole(b, "cache_max_age", 30 * 86_400);
  if (cacheMaxAge) key.cache_max_age = cacheMaxAge;
  if (b.budget_usd !== undefined || b.budget_period !== undefined) {
    const usd = b.budget_usd;
    if (typeof usd !== "number" || !(usd > 0) || usd > 1_000_000) {
      throw invalid("budget_usd", "'budget_usd' must be a number above 0, at most 1000000");
    }
    if (b.budget_period !== "day" && b.budget_period !== "month") {
      throw invalid("budget_period", "'budget_period' must be 'day' or 'month' with a budget");
    }
    key.budget_usd = usd;
    key.budget_period = b.budget_period;
  }
  if (b.models !== undefined) {
    const models = b.models;
    const valid =
      Array.isArray(models) &&
      models.length > 0 &&
      models.length <= 100 &&
      models.every((m) => typeof m === "string" && m !== "" && m.length <= 200 && printable(m));
    if (!valid) throw invalid("models", "'models' must be a list of 1 to 100 model names");
    key.models = [...new Set(models as string[])];
  }
  if (b.expires_at !== undefined) {
    const expires = typeof b.expires_at === "string" ? Date.parse(b.expires_at) : Number.NaN;
    // ISO-8601 with a date and a time zone: a bare date or local time would mean different
    // instants on different machines.
    const iso = /^\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:\d{2})$/i.test(String(b.expires_at));
    if (!iso || Number.isNaN(expires) || expires <= now) {
      throw invalid("expires_at", "'expires_at' must be a future ISO-8601 time with a zone");
    }
    key.expires_at = new Date(expires).toISOString();
  }
  if (b.allow_direct_models !== undefined) {
    if (typeof b.allow_direct_models !== "boolean") {
      throw invalid("allow_direct_models", "'allow_direct_models' must be true or false");
    }
    key.allow_direct_models = b.allow_direct_models;
  }
  return key;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Creates a key: 256 random bits behind `bw-`. Only its SHA-256 is stored; the key is returned once. */
export async function createKey(db: Database, request: NewKey) {
  const key = `bw-${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const prefix = key.slice(0, 11);
  const { data, error } = await db.rpc("ai_key_create", {
    ...request,
    key_hash: await sha256Hex(utf8(key)),
    prefix,
  });
  const row = (data as { id: string; created_at: string }[] | null)?.[0];
  if (error || !row) throw unavailable();
  return { id: row.id, key, prefix, ...request, created_at: iso(row.created_at) };
}

const iso = (time: string) => new Date(time).toISOString();
const isoOrNull = (time: string | null) => (time === null ? null : iso(time));
const numberOrNull = (value: unknown) => (value === null ? null : Number(value));

/** Every key, newest first, with its spend in the current period. */
export async function listKeys(db: Database): Promise<KeyListing[]> {
  const { data, error } = await db.rpc("ai_key_list");
  if (error) throw unavailable();
  return (data as KeyListing[]).map((row) => ({
    ...row,
    budget_usd: numberOrNull(row.budget_usd),
    spend_usd: Number(row.spend_usd),
    expires_at: isoOrNull(row.expires_at),
    created_at: iso(row.created_at),
    revoked_at: isoOrNull(row.revoked_at),
    period_start: iso(row.period_start),
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Revokes key `id`; undefined when there is no such key. Revoking twice keeps the first time. */
export async function revokeKey(db: Database, id: string) {
  if (!UUID.test(id)) return undefined;
  const { data, error } = await db.rpc("ai_key_revoke", { key_id: id });
  if (error) throw unavailable();
  const row = (data as { id: string; revoked_at: string }[])[0];
  return row && { id: row.id, revoked_at: iso(row.revoked_at) };
}
