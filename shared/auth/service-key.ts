import { secureCompare } from "../http/secure-compare.ts";

/** The token of an `Authorization: Bearer <token>` header, or undefined when there is none. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "")?.[1];
}

/**
 * Whether `token` is one of the service keys (SERVICE_API_KEYS). Every key is compared, each in
 * time that depends only on lengths, so the answer's timing says neither which key matched nor
 * how much of a guess was right.
 */
export function isServiceKey(token: string, keys: readonly string[]): boolean {
  let matched = false;
  for (const key of keys) if (secureCompare(token, key)) matched = true;
  return matched;
}
