import { createRootApp, type RootAppOptions } from "../shared/http/app.ts";
import { createKeyAdminApp } from "./ai-proxy/admin.ts";
import { createAiProxyApp } from "./ai-proxy/app.ts";
import { aiProxyDeps } from "./ai-proxy/deps.ts";
import { createEventsApp } from "./events/app.ts";
import { eventsDeps } from "./events/deps.ts";
import { createHealthApp } from "./health/app.ts";
import { healthDeps, statusDeps } from "./health/deps.ts";
import { createMessagingApp } from "./messaging/app.ts";
import { messagingDeps } from "./messaging/deps.ts";
import { createPaymentsApp } from "./payments/app.ts";
import { paymentsDeps } from "./payments/deps.ts";
import { createStatusApp } from "./health/status.ts";

import { createStripeWebhookApp } from "./stripe-webhook/app.ts";
import { stripeWebhookDeps } from "./stripe-webhook/deps.ts";
import { createTwilioWebhookApp } from "./twilio-webhook/app.ts";
import { twilioWebhookDeps } from "./twilio-webhook/deps.ts";

/** Every function, mounted on one app: `npm start` and the all-in-one Cloudflare worker. */
export function createAllFunctionsApp(options: Partial<RootAppOptions> = {}) {
  return createRootApp({
    name: "breakwater",
    ...options,
    apps: [
      createHealthApp(healthDeps),
      createStatusApp(statusDeps),
      createStripeWebhookApp(stripeWebhookDeps),
      createTwilioWebhookApp(twilioWebhookDeps),
      createAiProxyApp(aiProxyDeps),
      createKeyAdminApp(aiProxyDeps),
      createMessagingApp(messagingDeps),
      createPaymentsApp(paymentsDeps),
      createEventsApp(eventsDeps),
    ],
  });
}
