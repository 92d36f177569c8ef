// Cloudflare Workers entry of this function alone (wrangler.toml [env.ai-proxy]): no logic here.
export { default } from "./index.ts";
