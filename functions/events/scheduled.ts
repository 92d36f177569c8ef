import { runDeliveryCron } from "./cron.ts";
import { eventsDeps } from "./deps.ts";

/** Workers' cron trigger: the same run as Vercel Cron's and pg_cron's, kept alive by waitUntil. */
export const scheduled: ExportedHandlerScheduledHandler<object> = (_controller, env, ctx) => {
  const defer = (pending: Promise<unknown>) => ctx.waitUntil(pending.catch(() => {}));
  // Inside the async function a bad configuration rejects the run (the platform logs it)
  // instead of throwing out of the handler, so an all-in-one worker's other crons still run.
  ctx.waitUntil((async () => runDeliveryCron(eventsDeps(env), defer))());
};
