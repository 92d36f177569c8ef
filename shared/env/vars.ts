import { string, url } from "./schema.ts";

/** Supabase: where the RPC functions live, and the key they are called with. */
export const supabaseVars = {
  SUPABASE_URL: url(),
  SUPABASE_SERVICE_ROLE_KEY: string(),
};

/** Upstash Redis (REST). Both absent: state stays in isolate memory. */
export const upstashVars = {
  UPSTASH_REDIS_REST_URL: url().optional(),
  UPSTASH_REDIS_REST_TOKEN: string().optional(),
};

export const upstashTogether = [["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"]] as const;
