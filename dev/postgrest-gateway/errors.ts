import pg from "pg";

/** PostgREST's error body: PostgreSQL's fields, or PostgREST's own `PGRSTxxx` codes. */
export interface PostgrestErrorBody {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

/**
 * A failure answered as the whole HTTP response. `body` is PostgREST's error shape, except for
 * the API gateway's own answers (unknown route, missing or wrong apikey), which carry Supabase's
 * `{message, hint?}`.
 */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly status: number;
  readonly body: PostgrestErrorBody | { message: string; hint?: string };
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    body: GatewayError["body"],
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}

/** One of PostgREST's own errors (`PGRSTxxx`), with `details` and `hint` null unless given. */
export function pgrstError(
  status: number,
  code: string,
  message: string,
  extra: { details?: string; hint?: string } = {},
): GatewayError {
  return new GatewayError(status, {
    code,
    message,
    details: extra.details ?? null,
    hint: extra.hint ?? null,
  });
}

// PostgREST 12's SQLSTATE → HTTP status table (docs "Errors" → "HTTP status codes", and
// pgErrorStatus in its Error.hs), first match wins; a trailing `*` matches a whole class.
const SQLSTATE_STATUS: ReadonlyArray<readonly [pattern: string, status: number]> = [
  ["08*", 503],
  ["09*", 500],
  ["0L*", 403],
  ["0P*", 403],
  ["21000", 500],
  ["23503", 409],
  ["23505", 409],
  ["25006", 405],
  ["25*", 500],
  ["28*", 403],
  ["2D*", 500],
  ["38*", 500],
  ["39*", 500],
  ["3B*", 500],
  ["40*", 500],
  ["53400", 500],
  ["53*", 503],
  ["54*", 500],
  ["55*", 500],
  ["57P01", 503],
  ["57*", 500],
  ["58*", 500],
  ["F0*", 500],
  ["HV*", 500],
  ["P0001", 400],
  ["P0*", 500],
  ["XX*", 500],
  ["42883", 404],
  ["42P01", 404],
  ["42P17", 500],
];

/** The HTTP status PostgREST answers a PostgreSQL error with. */
export function statusForSqlState(code: string, authenticated: boolean): number {
  if (code === "42501") return authenticated ? 403 : 401;
  // `raise sqlstate 'PT402'` picks the status itself.
  const custom = /^PT(\d{3})$/.exec(code);
  if (custom) {
    const status = Number(custom[1]);
    return status >= 100 && status <= 599 ? status : 500;
  }
  const found = SQLSTATE_STATUS.find(([pattern]) =>
    pattern.endsWith("*") ? code.startsWith(pattern.slice(0, -1)) : code === pattern,
  );
  return found?.[1] ?? 400;
}

/** PostgreSQL's own error, forwarded field by field as PostgREST does. */
export function fromDatabaseError(error: pg.DatabaseError, authenticated: boolean): GatewayError {
  const code = error.code ?? "XX000";
  const status = statusForSqlState(code, authenticated);
  return new GatewayError(
    status,
    { code, message: error.message, details: error.detail ?? null, hint: error.hint ?? null },
    status === 401 ? { "WWW-Authenticate": "Bearer" } : {},
  );
}

/** PostgREST's PGRST000: the database could not be reached (stopped, restarting, refused us). */
export function databaseUnreachable(error: unknown): GatewayError {
  // Node reports a refused connection to several addresses as an AggregateError with no message.
  const reason =
    error instanceof Error
      ? error.message || (error as NodeJS.ErrnoException).code || error.name
      : String(error);
  return pgrstError(503, "PGRST000", "Database connection error. Retrying the connection.", {
    details: reason,
  });
}

/** True when PostgreSQL answered with an error (as opposed to not answering at all). */
export function isDatabaseError(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError;
}
