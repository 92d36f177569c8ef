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
];
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
    paths: ["/health"],
    required: DATABASE,
    // Provider keys: health probes every configured provider.
    optional: [...STATE, "CRON_SECRET", ...PROVIDERS],
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
];
