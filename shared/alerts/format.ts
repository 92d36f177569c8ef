/** What an operator is told about. */
export type AlertKind =
  "breaker_opened" | "breaker_still_open" | "breaker_closed" | "database_open";

export interface Alert {
  kind: AlertKind;
  breaker: string;
  /** When it happened (ms epoch). */
  at: number;
  /** When the outage began, for a breaker still open. */
  openSince?: number;
  /** When the breaker lets its next probe through, while open. */
  openUntil?: number;
}

export type AlertFormat = "slack" | "discord" | "json";

const iso = (ms: number) => new Date(ms).toISOString();

/** One line a person reads in a chat channel. */
export function alertText(alert: Alert): string {
  const probe = alert.openUntil ? `; next probe at ${iso(alert.openUntil)}` : "";
  switch (alert.kind) {
    case "database_open":
      return `:rotating_light: Breakwater: the database breaker is open, webhooks are answering 503 (deliveries are retried by their senders)${probe}`;
    case "breaker_opened":
      return `:rotating_light: Breakwater: breaker ${alert.breaker} opened, calls to it are refused${probe}`;
    case "breaker_still_open": {
      const minutes = Math.floor((alert.at - (alert.openSince ?? alert.at)) / 60_000);
      return `:warning: Breakwater: breaker ${alert.breaker} still open after ${minutes} minutes (since ${iso(alert.openSince ?? alert.at)})`;
    }
    case "breaker_closed":
      return `:white_check_mark: Breakwater: breaker ${alert.breaker} closed again, calls flow`;
  }
}

/**
 * The request body each receiver accepts: Slack's incoming webhooks (and the many services that
 * copy them) take `{"text"}`, Discord's take `{"content"}`, `json` is the alert as data.
 */
export function alertBody(alert: Alert, format: AlertFormat): string {
  const text = alertText(alert);
  if (format === "slack") return JSON.stringify({ text });
  if (format === "discord") return JSON.stringify({ content: text });
  return JSON.stringify({ ...alert, at: iso(alert.at), text, source: "breakwater" });
}
