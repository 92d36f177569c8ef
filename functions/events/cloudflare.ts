// Cloudflare Workers entry of events alone (wrangler.toml [env.events]): no logic here.
import app from "./index.ts";
import { scheduled } from "./scheduled.ts";

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<object>;
