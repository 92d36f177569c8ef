/**
 * What an upstream model name may look like before it is put into a provider's URL or body:
 * segments of letters, digits and `.` `_` `-` `:` `@` `+`, each starting with a letter or
 * digit, joined by single `/` (Fal's `fal-ai/flux/schnell`). So no `..`, no empty, leading or
 * trailing `/`, no `?`, `#`, `%`, whitespace or control characters: a model name cannot climb to
 * another path of the provider's host, add a query, or smuggle an encoded one.
 */
const UPSTREAM_MODEL = /^[A-Za-z0-9][\w.:@+-]*(?:\/[A-Za-z0-9][\w.:@+-]*)*$/;

export const MAX_MODEL_NAME_LENGTH = 200;

/** Whether `name` is safe to hand to a provider as a model name. */
export function isUpstreamModelName(name: string): boolean {
  return name.length <= MAX_MODEL_NAME_LENGTH && !name.includes("..") && UPSTREAM_MODEL.test(name);
}
