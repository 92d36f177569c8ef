// Cloudflare Workers entry of the all-in-one worker (wrangler.toml `main`): no logic here.
import { createAllFunctionsApp } from "./index.ts";

export default createAllFunctionsApp();
