/** setTimeout fires at once for delays past a signed 32-bit count of ms (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a request must be finished: an absolute `deadline` (ms since the epoch) or a `deadlineMs`
 * budget counted from the moment the policy starts. Required wherever a policy may wait: a retry
 * without a deadline is how a `Retry-After: 86400` becomes a hung request.
 */
export type DeadlineInput =
  { deadline: number; deadlineMs?: never } | { deadlineMs: number; deadline?: never };

/**
 * The absolute deadline (ms since the epoch) that `input` names, given the current time. Throws a
 * RangeError for a deadline that is not a number or lies beyond what a timer can wait for.
 */
export function resolveDeadline(input: DeadlineInput, now: number): number {
  const deadline = input.deadline !== undefined ? input.deadline : now + input.deadlineMs;
  // NaN would compare false with everything: a deadline that never arrives.
  if (!(deadline - now <= MAX_TIMER_MS)) {
    throw new RangeError(`deadline must be a time at most ${MAX_TIMER_MS} ms from now`);
  }
  return deadline;
}

/** Milliseconds left until `deadline`; never negative. */
export function remainingMs(deadline: number, now: number): number {
  return Math.max(0, deadline - now);
}
