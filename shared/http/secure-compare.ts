const encoder = new TextEncoder();

/**
 * Compares two secrets in time that depends only on their lengths, never on where they first
 * differ, and never throws on a length mismatch (it is simply unequal).
 */
export function secureCompare(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = typeof a === "string" ? encoder.encode(a) : a;
  const y = typeof b === "string" ? encoder.encode(b) : b;
  let diff = x.length ^ y.length;
  const length = Math.max(x.length, y.length);
  for (let i = 0; i < length; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
