import { runCron } from "./cron.ts";
import { healthDeps } from "./deps.ts";

/** Workers' cron trigger: the same run as Vercel Cron's and pg_cron's, kept alive by waitUntil. */
export const scheduled: ExportedHandlerScheduledHandler<object> = (_controller, env, ctx) => {
  ctx.waitUntil(runCron(healthDeps(env)));
};
