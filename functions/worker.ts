// Cloudflare Workers entry of the all-in-one worker (wrangler.toml `main`): no logic here.
import { runCron } from "./health/cron.ts";
import { healthDeps } from "./health/deps.ts";
import { createAllFunctionsApp } from "./index.ts";

const app = createAllFunctionsApp();

export default {
  fetch: app.fetch,
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(runCron(healthDeps(env)));
  },
} satisfies ExportedHandler<object>;
