/**
 * A valid value for every variable a function may read, none of which reaches anything: the
 * registry test reads each function's env with them, and the cold-start bench runs on them.
 * A function that reads a new variable needs a sample here.
 */
export const SAMPLES: Readonly<Record<string, string>> = {
  SUPABASE_URL: "https://project-ref.supabase.co",
  SUPABASE_SERVICE_ROLE_KEY: "sample-service-role-key",
  UPSTASH_REDIS_REST_URL: "https://sample.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "sample-upstash-token",
  STATE_KEY_PREFIX: "sample:",
  UPSTASH_LUA_KEY_LOCKING: "true",
  LOG_LEVEL: "error",
  CRON_SECRET: "sample-cron-secret",
  OPENAI_API_KEY: "sk-sample",
  OPENAI_BASE_URL: "https://api.openai.com/v1",
  ANTHROPIC_API_KEY: "sk-ant-sample",
  ANTHROPIC_BASE_URL: "https://api.anthropic.com",
  GEMINI_API_KEY: "sample-gemini-key",
  GEMINI_BASE_URL: "https://generativelanguage.googleapis.com",
  FAL_KEY: "sample-fal-key",
  FAL_BASE_URL: "https://fal.run",
  STRIPE_WEBHOOK_SECRET: "whsec_sample",
  STRIPE_MODE: "test",
  STRIPE_TOLERANCE_SEC: "300",
  TWILIO_AUTH_TOKEN: "sample-twilio-token",
  TWILIO_AUTH_TOKEN_SECONDARY: "sample-twilio-token-next",
  PUBLIC_BASE_URL: "https://hooks.example.com",
  TWILIO_AUTO_REPLY: "Thanks, received.",
  AI_ROUTES: '{"fast":["openai:gpt-4o-mini","anthropic:claude-haiku-4-5"]}',
  PROXY_API_KEYS: "sample-proxy-key",
  AI_REQUESTS_PER_MINUTE: "60",
  AI_ATTEMPT_TIMEOUT_MS: "60000",
  AI_FIRST_TOKEN_TIMEOUT_MS: "15000",
  AI_STREAM_IDLE_TIMEOUT_MS: "30000",
  AI_DEADLINE_MS: "120000",
  SERVICE_API_KEYS: "sample-service-key",
  WEBHOOK_SOURCES:
    '{"acme":{"scheme":"standard","secrets":["whsec_c2FtcGxl"]},"gh":{"scheme":"github","secrets":["sample-gh-secret"]}}',
  WEBHOOK_RETRY_SCHEDULE: "5s,5m,30m,2h,5h,10h,10h",
  WEBHOOK_TIMEOUT_MS: "15000",
  WEBHOOK_ALLOW_LOOPBACK: "false",
};
