// Cloudflare Workers entry of this function alone (wrangler.toml [env.payments]): no logic here.
export { default } from "./index.ts";
