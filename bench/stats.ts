/** The p-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `p50 / p99 ms` of samples, for the printed tables. */
export function summary(values: readonly number[]) {
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}
