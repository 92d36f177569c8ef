// Types of the worker under test (vitest.config.ts gives it these bindings).
declare namespace Cloudflare {
  interface Env {
    UPSTASH_REDIS_REST_URL: string;
    UPSTASH_REDIS_REST_TOKEN: string;
    SUPABASE_URL: string;
    SUPABASE_SERVICE_ROLE_KEY: string;
  }
  interface GlobalProps {
    mainModule: typeof import("../../functions/worker.ts");
  }
}
