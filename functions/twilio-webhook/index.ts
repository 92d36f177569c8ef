import { createRootApp } from "../../shared/http/app.ts";
import { createTwilioWebhookApp } from "./app.ts";
import { twilioWebhookDeps } from "./deps.ts";

/** The Twilio receivers deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({
  name: "twilio-webhook",
  apps: [createTwilioWebhookApp(twilioWebhookDeps)],
});
