// Cloudflare Workers entry of the all-in-one worker (wrangler.toml `main`): no logic here.
import { scheduled } from "./health/scheduled.ts";
import { createAllFunctionsApp } from "./index.ts";

const app = createAllFunctionsApp();

export default { fetch: app.fetch, scheduled } satisfies ExportedHandler<object>;
