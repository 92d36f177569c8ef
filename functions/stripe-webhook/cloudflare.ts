// Cloudflare Workers entry of this function alone (wrangler.toml [env.stripe-webhook]): no logic here.
export { default } from "./index.ts";
