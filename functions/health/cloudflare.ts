// Cloudflare Workers entry of health alone (wrangler.toml [env.health]): no logic here.
import app from "./index.ts";
import { scheduled } from "./scheduled.ts";

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<object>;
