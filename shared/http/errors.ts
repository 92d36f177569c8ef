/** The error categories of the public contract (ARCHITECTURE.md, "Request flow"). */
export type ErrorCategory =
  | "validation"
  | "authentication"
  | "authorization"
  | "not_found"
  | "rate_limit"
  | "external_service"
  | "internal"
  | "network";

export interface AppErrorOptions {
  status: number;
  /** Stable, machine-readable, snake_case. */
  code: string;
  category: ErrorCategory;
  message: string;
  /** Safe to show the caller: never a secret, a payload or an internal message. */
  details?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** OpenAI's `param`, for errors about one request field under /v1. */
  param?: string;
}

const BRAND = Symbol.for("breakwater.AppError");

/**
 * An error meant for the caller: the one `onError` turns it into the envelope for its path.
 * Branded, so copies of this module bundled separately still recognise each other's errors.
 */
export class AppError extends Error {
  readonly [BRAND] = true;
  readonly status: number;
  readonly code: string;
  readonly category: ErrorCategory;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly param: string | undefined;

  constructor(options: AppErrorOptions) {
    super(options.message);
    this.name = "AppError";
    this.status = options.status;
    this.code = options.code;
    this.category = options.category;
    this.details = options.details;
    this.headers = options.headers;
    this.param = options.param;
  }
}

export function isAppError(error: unknown): error is AppError {
  return typeof error === "object" && error !== null && BRAND in error;
}
