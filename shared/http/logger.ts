import { redact, redactText } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error" | "alert";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, alert: 50 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** For conditions an operator must act on (e.g. a breaker open for minutes). */
  alert(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines also carry `context` (e.g. the request id). */
  child(context: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** The function name written on every line. */
  fn: string;
  level?: LogLevel;
  /** Where lines go; one JSON string per call. Defaults to the platform console. */
  sink?: (line: string) => void;
  context?: Record<string, unknown>;
}

/**
 * A structured JSON logger: one line per call with level, time, function, message and fields.
 * Everything passes through `redact`, so a secret handed to it by mistake is not written.
 */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level ?? "info"];
  const sink = options.sink ?? ((line: string) => console.log(line));
  const context = options.context ?? {};
  const write = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    const line = {
      level,
      time: new Date().toISOString(),
      fn: options.fn,
      ...(redact(context) as object),
      msg: redactText(message),
      ...(fields ? (redact(fields) as object) : {}),
    };
    sink(JSON.stringify(line));
  };
  return {
    debug: write("debug"),
    info: write("info"),
    warn: write("warn"),
    error: write("error"),
    alert: write("alert"),
    child: (more) => createLogger({ ...options, context: { ...context, ...more } }),
  };
}
