const REDACTED = "[REDACTED]";

// Field names whose values are secrets whatever they look like.
const SECRET_KEY =
  /authorization|cookie|api[-_]?key|token|secret|password|passwd|signature|private[-_]?key|credential/i;

// Values that look like secrets wherever they appear in a string.
const SECRET_VALUES: RegExp[] = [
  /\bBearer\s+[^\s,;"']+/gi,
  /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}/g, // Stripe keys
  /\bwhsec_[A-Za-z0-9+/=]{8,}/g, // Stripe webhook secrets
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI / Anthropic keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, // JWTs (Supabase keys)
];

// 13–19 digits, optionally grouped by spaces or dashes: card-number shaped.
const CARD_NUMBER = /\b\d(?:[ -]?\d){12,18}\b/g;

function luhnValid(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, "");
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Replaces secret-looking substrings (tokens, keys, card numbers) in free text. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_VALUES) out = out.replace(pattern, REDACTED);
  return out.replace(CARD_NUMBER, (match) => (luhnValid(match) ? REDACTED : match));
}

/**
 * A copy of `value` safe to log: secret-named fields are replaced, strings are scrubbed,
 * errors keep only their name and message (never a stack), depth and cycles are bounded.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return redactText(value);
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value) || depth > 8) return "[…]";
  seen.add(value);
  if (value instanceof Error) return { name: value.name, message: redactText(value.message) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1, seen);
  }
  return out;
}
