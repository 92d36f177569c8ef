import { oneOf, url } from "../env/schema.ts";

/** Where alerts go, and the JSON shape the receiver takes. */
export const alertVars = {
  ALERT_WEBHOOK_URL: url().optional(),
  ALERT_WEBHOOK_FORMAT: oneOf(["slack", "discord", "json"]).default("slack"),
};
