import { MAX_TIMER_MS, remainingMs } from "./deadline.ts";

const BRAND = Symbol.for("breakwater.TimeoutError");

/**
 * A timeout policy gave up on its task. It is also the abort reason of the signal the task got.
 * The policy rejects with this very object rather than with the task's own rejection: workerd's
 * fetch rejects with a copy of the reason that has lost the brand. Branded, so copies of this
 * module bundled separately still recognise each other's timeouts.
 */
export class TimeoutError extends Error {
  readonly [BRAND] = true;
  /** How long the task was given (the policy's ms, or less when a deadline came first). */
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
    this.name = "TimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** Whether `error` is a `TimeoutError` from any copy of this module. */
export function isTimeoutError(error: unknown): error is TimeoutError {
  return typeof error === "object" && error !== null && BRAND in error;
}

/** One run of a timeout policy. */
export interface TimeoutCall {
  /** The caller's signal: aborting it aborts the task at once, with the caller's reason. */
  signal?: AbortSignal | undefined;
  /** Absolute deadline (ms since the epoch) of the whole request; the task never outlives it. */
  deadline?: number | undefined;
}

export interface TimeoutOptions {
  /** The clock the deadline is measured with; `Date.now` unless a test pins it. */
  now?: () => number;
}

/** Runs tasks under a time limit; see `timeout`. */
export interface TimeoutPolicy {
  execute<T>(fn: (signal: AbortSignal) => Promise<T>, call?: TimeoutCall): Promise<T>;
}

/**
 * A policy that gives each task `ms` (or whatever is left of `call.deadline`, if less). At the
 * limit it aborts the signal handed to the task and rejects with `TimeoutError`, even when the
 * task ignores its signal. The limit covers the task's promise only: a `Response` it returns may
 * still stream its body afterwards, which is why the signal is not aborted once the task settles.
 */
export function timeout(ms: number, options: TimeoutOptions = {}): TimeoutPolicy {
  if (!(ms > 0 && ms <= MAX_TIMER_MS)) {
    throw new RangeError(`timeout ms must be in (0, ${MAX_TIMER_MS}]`);
  }
  const now = options.now ?? Date.now;
  return {
    async execute(fn, call = {}) {
      call.signal?.throwIfAborted();
      const limit =
        call.deadline === undefined ? ms : Math.min(ms, remainingMs(call.deadline, now()));
      // No point starting a fetch only to abort it in the same breath.
      if (limit <= 0) throw new TimeoutError(0);
      const own = new AbortController();
      const signal = call.signal ? AbortSignal.any([call.signal, own.signal]) : own.signal;
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      const timer = setTimeout(() => own.abort(new TimeoutError(limit)), limit);
      try {
        return await Promise.race([fn(signal), aborted]);
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
}

/** A quiet-period watch; see `idleTimer`. */
export interface IdleTimer {
  /** Something arrived: the quiet period starts again. */
  touch(): void;
  stop(): void;
}

/**
 * Calls `onIdle` once `ms` pass without a `touch()`. One timer per watch, re-armed only when it
 * fires early, so touching it on every chunk of a stream costs a clock read, not a timer.
 */
export function idleTimer(ms: number, onIdle: () => void): IdleTimer {
  let last = Date.now();
  let timer: ReturnType<typeof setTimeout>;
  const check = () => {
    const quiet = Date.now() - last;
    if (quiet >= ms) onIdle();
    else timer = setTimeout(check, ms - quiet);
  };
  timer = setTimeout(check, ms);
  return {
    touch: () => void (last = Date.now()),
    stop: () => clearTimeout(timer),
  };
}
