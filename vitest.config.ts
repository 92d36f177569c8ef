import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    globalSetup: ["test/setup/services.ts"],
    projects: [
      {
        test: {
          name: "node",
          environment: "node",
          include: [
            "test/unit/**/*.test.ts",
            "test/dev/**/*.test.ts",
            "test/e2e/**/*.test.ts",
            "test/build/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          name: "chaos",
          environment: "node",
          include: ["test/chaos/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "fuzz",
          environment: "node",
          include: ["test/fuzz/**/*.test.ts"],
        },
      },
      {
        plugins: [
          // The worker under test gets this run's real Redis (through the Upstash gateway) and
          // real PostgreSQL (through the PostgREST gateway) as its env bindings.
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                UPSTASH_REDIS_REST_URL: inject("upstash").url,
                UPSTASH_REDIS_REST_TOKEN: inject("upstash").token,
                SUPABASE_URL: inject("supabase").url,
                SUPABASE_SERVICE_ROLE_KEY: inject("supabase").serviceRoleKey,
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/integration/**/*.test.ts"],
        },
      },
    ],
  },
});
