/**
 * Every deployable function, as data. The build (`npm run build`), wrangler.toml's envs and
 * supabase/config.toml's functions (`npm run config`), Vercel's routes and crons, the Supabase
 * entries, the size budget and the platform tests all derive from this list. Adding a function is
 * one entry here plus its folder: `index.ts` (its root app) and one entry file per platform.
 */
export interface FunctionSpec {
  /** Its folder under functions/, and the name of its Worker env, Vercel function and Supabase function. */
  readonly name: string;
  /** Path prefixes of the HTTP contract it serves: each prefix itself and everything under it. */
  readonly paths: readonly string[];
  /** Variables it refuses to run without (a Worker env will not deploy without them). */
  readonly required: readonly string[];
  /** Variables it reads when they are set. */
  readonly optional: readonly string[];
  /** Its scheduled run: a Workers cron trigger, Vercel Cron on `path` (GET with CRON_SECRET), pg_cron. */
  readonly cron?: { readonly schedule: string; readonly path: string };
  /** A request it answers with `status` without reaching any upstream: smoke tests, cold starts. */
  readonly smoke: { readonly method: string; readonly path: string; readonly status: number };
}

/** Every function records to Postgres through Supabase's PostgREST. */
const DATABASE = ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"];
/** Every function keeps breakers, limits and claims in Upstash Redis when it is configured. */
const STATE = [
  "UPSTASH_REDIS_REST_URL",
  "UPSTASH_REDIS_REST_TOKEN",
  "STATE_KEY_PREFIX",
  "UPSTASH_LUA_KEY_LOCKING",
  "LOG_LEVEL",
  // Every request is a trace (docs/operations.md).
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_SERVICE_NAME",
];
/** Callers of the outbound functions: service keys, and Supabase tokens (HS256 secret or JWKS). */
const CALLERS = ["SERVICE_API_KEYS", "SUPABASE_JWT_SECRET"];
/** AI providers: a provider with its key set is configured (base URLs override the vendor's). */
const PROVIDERS = [
  "OPENAI_API_KEY",
  "OPENAI_BASE_URL",
  "ANTHROPIC_API_KEY",
  "ANTHROPIC_BASE_URL",
  "GEMINI_API_KEY",
  "GEMINI_BASE_URL",
  "FAL_KEY",
  "FAL_BASE_URL",
];

export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: "health",
    paths: ["/health", "/status", "/status.json"],
    required: DATABASE,
    // Provider keys: health probes every configured provider.
    optional: [
      ...STATE,
      "CRON_SECRET",
      "STATUS_PASSWORD",
      "ALERT_WEBHOOK_URL",
      "ALERT_WEBHOOK_FORMAT",
      ...PROVIDERS,
    ],
    cron: { schedule: "* * * * *", path: "/health/cron" },
    smoke: { method: "GET", path: "/health/cron", status: 401 },
  },
  {
    name: "stripe-webhook",
    paths: ["/webhooks/stripe"],
    required: [...DATABASE, "STRIPE_WEBHOOK_SECRET"],
    optional: [...STATE, "STRIPE_MODE", "STRIPE_TOLERANCE_SEC"],
    smoke: { method: "POST", path: "/webhooks/stripe", status: 415 },
  },
  {
    name: "twilio-webhook",
    paths: ["/webhooks/twilio"],
    required: [...DATABASE, "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL"],
    optional: [...STATE, "TWILIO_AUTH_TOKEN_SECONDARY", "TWILIO_AUTO_REPLY"],
    smoke: { method: "POST", path: "/webhooks/twilio/status", status: 415 },
  },
  {
    name: "ai-proxy",
    paths: ["/v1", "/admin"],
    required: DATABASE,
    optional: [
      ...STATE,
      ...PROVIDERS,
      "AI_ROUTES",
      "PROXY_API_KEYS",
      "AI_REQUESTS_PER_MINUTE",
      "AI_AUTH_FAILURES_PER_MINUTE",
      "AI_ATTEMPT_TIMEOUT_MS",
      "AI_FIRST_TOKEN_TIMEOUT_MS",
      "AI_STREAM_IDLE_TIMEOUT_MS",
      "AI_DEADLINE_MS",
      "AI_ALLOW_DIRECT_MODELS",
      "AI_CACHE_MAX_AGE_SEC",
      "ADMIN_API_KEY",
    ],
    smoke: { method: "GET", path: "/v1/models", status: 401 },
  },
  {
    name: "messaging",
    paths: ["/messages", "/verify"],
    required: [...DATABASE, "TWILIO_ACCOUNT_SID"],
    // TWILIO_AUTH_TOKEN or TWILIO_API_KEY + TWILIO_API_SECRET; TWILIO_FROM or the service SID.
    optional: [
      ...STATE,
      ...CALLERS,
      "TWILIO_AUTH_TOKEN",
      "TWILIO_API_KEY",
      "TWILIO_API_SECRET",
      "TWILIO_FROM",
      "TWILIO_MESSAGING_SERVICE_SID",
      "TWILIO_API_BASE_URL",
      "TWILIO_TIMEOUT_MS",
      "PUBLIC_BASE_URL",
      "VERIFY_TTL_SEC",
      "VERIFY_COUNTRIES",
    ],
    smoke: { method: "POST", path: "/verify/start", status: 401 },
  },
  {
    name: "payments",
    paths: ["/payments"],
    required: [...DATABASE, "STRIPE_SECRET_KEY"],
    optional: [...STATE, ...CALLERS, "STRIPE_API_BASE_URL", "STRIPE_TIMEOUT_MS"],
    smoke: { method: "POST", path: "/payments/intents", status: 401 },
  },
  {
    name: "events",
    paths: ["/webhook-endpoints", "/events", "/webhooks/in"],
    required: DATABASE,
    optional: [
      ...STATE,
      "SERVICE_API_KEYS",
      "CRON_SECRET",
      "WEBHOOK_SOURCES",
      "WEBHOOK_RETRY_SCHEDULE",
      "WEBHOOK_TIMEOUT_MS",
      "WEBHOOK_ALLOW_LOOPBACK",
    ],
    cron: { schedule: "* * * * *", path: "/events/cron" },
    smoke: { method: "GET", path: "/events/cron", status: 401 },
  },
];
