import { authVars, callerAuthFrom } from "../../shared/auth/env.ts";
import { createDatabase } from "../../shared/clients/database.ts";
import { perEnv } from "../../shared/env/per-env.ts";
import { EnvError, integer, list, parseEnv, string, url } from "../../shared/env/schema.ts";
import { logVars, supabaseVars, upstashTogether, upstashVars } from "../../shared/env/vars.ts";
import { createRateLimiter } from "../../shared/resilience/ratelimit/index.ts";
import { resilienceState } from "../../shared/resilience/state.ts";
import type { MessagingDeps } from "./app.ts";
import { VERIFY_POLICIES } from "./limits.ts";
import { codeKey, memoryVerifications, redisVerifications } from "./verify.ts";

const ISO_COUNTRY = /^[A-Z]{2}$/;

const schema = {
  ...supabaseVars,
  ...upstashVars,
  ...logVars,
  ...authVars,
  TWILIO_ACCOUNT_SID: string(),
  TWILIO_AUTH_TOKEN: string().optional(),
  TWILIO_API_KEY: string().optional(),
  TWILIO_API_SECRET: string().optional(),
  TWILIO_FROM: string().optional(),
  TWILIO_MESSAGING_SERVICE_SID: string().optional(),
  TWILIO_API_BASE_URL: url().default("https://api.twilio.com"),
  /** A whole send, retries of 429/503 included. */
  TWILIO_TIMEOUT_MS: integer(100, 60_000).default(10_000),
  PUBLIC_BASE_URL: url().optional(),
  VERIFY_TTL_SEC: integer(60, 86_400).default(600),
  VERIFY_COUNTRIES: list().optional(),
};

/** The messaging function's dependencies from the platform's env bindings, once per isolate. */
export const messagingDeps = perEnv((source): MessagingDeps => {
  const env = parseEnv(schema, source, { together: upstashTogether });
  // Either credential and either sender will do; the schema cannot say "one of".
  const problems: string[] = [];
  const apiKey = env.TWILIO_API_KEY && env.TWILIO_API_SECRET;
  if (!env.TWILIO_AUTH_TOKEN && !apiKey) {
    problems.push("TWILIO_AUTH_TOKEN (or TWILIO_API_KEY with TWILIO_API_SECRET) is missing");
  }
  if (!env.TWILIO_FROM && !env.TWILIO_MESSAGING_SERVICE_SID) {
    problems.push("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID is missing");
  }
  const countries = env.VERIFY_COUNTRIES?.map((c) => c.toUpperCase());
  const unknown = countries?.filter((c) => !ISO_COUNTRY.test(c));
  if (unknown?.length)
    problems.push(
      `VERIFY_COUNTRIES has entries that are not ISO 3166 alpha-2: ${unknown.join(", ")}`,
    );
  if (problems.length > 0) throw new EnvError(problems);

  const state = resilienceState(source);
  const [username, password] = apiKey
    ? [env.TWILIO_API_KEY!, env.TWILIO_API_SECRET!]
    : [env.TWILIO_ACCOUNT_SID, env.TWILIO_AUTH_TOKEN!];
  const limiter = (policy: (typeof VERIFY_POLICIES)[keyof typeof VERIFY_POLICIES]) =>
    createRateLimiter({
      ...policy,
      redis: state.redis,
      keyLocking: state.keyLocking,
      prefix: env.STATE_KEY_PREFIX,
      redisDown: state.redisDown,
    });
  return {
    auth: callerAuthFrom(env),
    twilio: {
      baseUrl: env.TWILIO_API_BASE_URL,
      accountSid: env.TWILIO_ACCOUNT_SID,
      username,
      password,
      sender: env.TWILIO_MESSAGING_SERVICE_SID
        ? { MessagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID }
        : { From: env.TWILIO_FROM! },
      statusCallback: env.PUBLIC_BASE_URL && `${env.PUBLIC_BASE_URL}/webhooks/twilio/status`,
      breaker: state.breaker("twilio-api"),
      timeoutMs: env.TWILIO_TIMEOUT_MS,
    },
    verifications: state.redis
      ? redisVerifications(state.redis, env.STATE_KEY_PREFIX)
      : memoryVerifications(),
    // The code hashes' key comes from the Twilio secret in use: no extra secret to manage.
    codeKey: codeKey(password),
    limits: {
      phoneBurst: limiter(VERIFY_POLICIES.phoneBurst),
      phoneHourly: limiter(VERIFY_POLICIES.phoneHourly),
      clientHourly: limiter(VERIFY_POLICIES.clientHourly),
    },
    countries: countries && new Set(countries),
    ttlSec: env.VERIFY_TTL_SEC,
    db: createDatabase(env.SUPABASE_URL, env.SUPABASE_SERVICE_ROLE_KEY),
  };
});
