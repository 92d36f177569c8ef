// Cloudflare Workers entry of the all-in-one worker (wrangler.toml `main`): no logic here.
import { scheduled as eventsCron } from "./events/scheduled.ts";
import { scheduled as healthCron } from "./health/scheduled.ts";
import { createAllFunctionsApp } from "./index.ts";

const app = createAllFunctionsApp();

export default {
  fetch: app.fetch,
  // One trigger (every minute) runs every function's cron.
  scheduled: (controller, env, ctx) => {
    healthCron(controller, env, ctx);
    eventsCron(controller, env, ctx);
  },
} satisfies ExportedHandler<object>;
