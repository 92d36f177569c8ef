import { AppError } from "../../shared/http/errors.ts";

/** An event type: `invoice.paid`, `user.created`… */
export const EVENT_TYPE = /^[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*$/;
/** A subscription: an event type, a prefix (`invoice.*`) or every type (`*`). */
export const EVENT_PATTERN = /^(?:\*|[A-Za-z0-9_:-]+(?:\.[A-Za-z0-9_:-]+)*(?:\.\*)?)$/;
/** A caller's event id (idempotency key). */
export const EVENT_ID = /^[A-Za-z0-9_.:-]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A 400 naming the field at fault. */
export function invalid(field: string, message: string, details: Record<string, unknown> = {}) {
  return new AppError({
    status: 400,
    code: "invalid_request",
    category: "validation",
    message,
    details: { field, ...details },
  });
}

/** The JSON body as an object, or a 400. */
export function objectBody(value: unknown): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid("body", "The body must be a JSON object");
  }
  return value as Record<string, unknown>;
}

/** A path id that cannot name an endpoint is simply not found (never a database cast error). */
export function endpointIdOr404(id: string): string {
  if (!UUID.test(id)) throw endpointNotFound();
  return id.toLowerCase();
}

export const endpointNotFound = () =>
  new AppError({
    status: 404,
    code: "endpoint_not_found",
    category: "not_found",
    message: "No such webhook endpoint",
  });

export const eventNotFound = () =>
  new AppError({
    status: 404,
    code: "event_not_found",
    category: "not_found",
    message: "No such event",
  });
