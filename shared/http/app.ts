import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { RegExpRouter } from "hono/router/reg-exp-router";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  anthropicEnvelope,
  generalEnvelope,
  isAnthropicPath,
  isOpenAiPath,
  openAiEnvelope,
} from "./envelope.ts";
import { EnvError } from "../env/schema.ts";
import { tracing } from "../telemetry/middleware.ts";
import { AppError, type ErrorCategory, isAppError } from "./errors.ts";
import { createLogger, type Logger, type LogLevel } from "./logger.ts";
import { methodsAllowed } from "./methods.ts";
import { requestId } from "./request-id.ts";

/** What every handler can read from `c.var`. */
export type BaseVariables = { requestId: string; log: Logger };

export interface RootAppOptions {
  /** Deployment name written on every log line (`breakwater`, `health`, …). */
  name: string;
  /** Function apps to mount at `/`; each keeps its own paths. */
  // any: function apps differ in their Variables, which Hono's route() cannot unify.
  apps: Hono<any>[];
  /** Overrides the `LOG_LEVEL` binding (tests). */
  logLevel?: LogLevel;
  logSink?: (line: string) => void;
}

const LEVELS = new Set<string>(["debug", "info", "warn", "error", "alert"]);

function categoryFor(status: number): ErrorCategory {
  if (status === 401) return "authentication";
  if (status === 403) return "authorization";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limit";
  return status < 500 ? "validation" : "internal";
}

/** Any thrown value as the AppError the caller sees; unknown errors say nothing about themselves. */
function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (error instanceof HTTPException && error.status < 500) {
    return new AppError({
      status: error.status,
      code: `http_${error.status}`,
      category: categoryFor(error.status),
      message: error.message || "Request refused",
    });
  }
  if (error instanceof EnvError) {
    // The variable names go to the operator's log, not to the caller.
    return new AppError({
      status: 500,
      code: "configuration_error",
      category: "internal",
      message: "The service is misconfigured",
    });
  }
  return new AppError({
    status: 500,
    code: "internal_error",
    category: "internal",
    message: "Internal error",
  });
}

/**
 * The one root of a deployment: request ids, one access-log line per request, the mounted
 * function apps, and the single error, not-found and method-not-allowed handling of the contract.
 */
export function createRootApp(options: RootAppOptions): Hono<{ Variables: BaseVariables }> {
  // One logger per level: the level comes from the LOG_LEVEL binding, known only per request.
  const loggers = new Map<LogLevel | undefined, Logger>();
  const loggerFor = (env: unknown): Logger => {
    const bound = (env as { LOG_LEVEL?: unknown } | undefined)?.LOG_LEVEL;
    const level = options.logLevel ?? (LEVELS.has(String(bound)) ? (bound as LogLevel) : undefined);
    let log = loggers.get(level);
    if (!log)
      loggers.set(level, (log = createLogger({ fn: options.name, level, sink: options.logSink })));
    return log;
  };
  // RegExpRouter matches a request with one regex. Hono's default falls back, silently, to a
  // router that walks a tree on every request when one route does not fit; this one refuses.
  const app = new Hono<{ Variables: BaseVariables }>({ router: new RegExpRouter() });
  app.use(requestId());
  app.use(tracing(options.name));
  app.use(async function accessLog(c, next) {
    const started = Date.now();
    c.set("log", loggerFor(c.env).child({ requestId: c.get("requestId") }));
    await next();
    c.get("log").info("request", {
      method: c.req.method,
      path: c.req.path, // never the query string: it can carry tokens
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  });
  for (const fnApp of options.apps) app.route("/", fnApp);
  // Builds the router now, so a route it cannot hold throws at start-up, not on a request.
  app.router.match("GET", "/");

  const respond = (c: Parameters<Parameters<typeof app.onError>[0]>[1], error: AppError) => {
    if (isAnthropicPath(c.req.path)) {
      const { status, body } = anthropicEnvelope(error, c.get("requestId"));
      return c.json(body, status as ContentfulStatusCode, error.headers);
    }
    const body = isOpenAiPath(c.req.path)
      ? openAiEnvelope(error, c.get("requestId"))
      : generalEnvelope(error, c.get("requestId"), c.req.path);
    return c.json(body, error.status as ContentfulStatusCode, error.headers);
  };
  app.onError((error, c) => {
    const appError = toAppError(error);
    if (error instanceof EnvError) c.get("log").error(error.message);
    else if (!isAppError(error) && appError.status >= 500)
      c.get("log").error("unhandled error", { error });
    return respond(c, appError);
  });
  app.notFound((c) => {
    const allowed = methodsAllowed(app, c.req.path);
    const error =
      allowed.length > 0
        ? new AppError({
            status: 405,
            code: "method_not_allowed",
            category: "validation",
            message: `${c.req.method} is not allowed on ${c.req.path}`,
            details: { allowed },
            headers: { Allow: allowed.join(", ") },
          })
        : new AppError({
            status: 404,
            code: "not_found",
            category: "not_found",
            message: `No route for ${c.req.method} ${c.req.path}`,
          });
    return respond(c, error);
  });
  return app;
}
