// Cloudflare Workers entry of this function alone (wrangler.toml [env.twilio-webhook]): no logic here.
export { default } from "./index.ts";
