import { createRootApp } from "../../shared/http/app.ts";
import { createStripeWebhookApp } from "./app.ts";
import { stripeWebhookDeps } from "./deps.ts";

/** The Stripe receiver deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({
  name: "stripe-webhook",
  apps: [createStripeWebhookApp(stripeWebhookDeps)],
});
