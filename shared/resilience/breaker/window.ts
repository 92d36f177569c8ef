/** The rolling window is this many slots; a slot older than the window counts for nothing. */
export const WINDOW_SLOTS = 10;

export interface Slot {
  /** The slot's epoch (`floor(now / slotMs)`) when it was last written. */
  epoch: number;
  ok: number;
  failed: number;
}

/** Index and epoch of the slot `now` falls in. */
export function slotAt(now: number, windowMs: number): { index: number; epoch: number } {
  const epoch = Math.floor(now / Math.max(1, Math.floor(windowMs / WINDOW_SLOTS)));
  return { index: epoch % WINDOW_SLOTS, epoch };
}

/** Totals of the slots still inside the window at `now` (`slots` may have holes). */
export function windowTotals(slots: readonly (Slot | undefined)[], now: number, windowMs: number) {
  const { epoch } = slotAt(now, windowMs);
  let ok = 0;
  let failed = 0;
  for (const slot of slots) {
    if (slot && slot.epoch > epoch - WINDOW_SLOTS) {
      ok += slot.ok;
      failed += slot.failed;
    }
  }
  return { ok, failed, total: ok + failed };
}
