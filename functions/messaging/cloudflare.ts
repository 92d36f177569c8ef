// Cloudflare Workers entry of this function alone (wrangler.toml [env.messaging]): no logic here.
export { default } from "./index.ts";
