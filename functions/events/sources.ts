import { assertSigningKeys } from "../../shared/webhooks/hmac.ts";
import { standardSecretKey } from "../../shared/webhooks/standard-signature.ts";
import type { InboundSource } from "./types.ts";

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
// Their events share webhook_events with ours: a source by these names would collide.
const RESERVED = new Set(["stripe", "twilio"]);
const SCHEMES = new Set(["standard", "github"]);

/**
 * WEBHOOK_SOURCES, `{"acme":{"scheme":"standard","secrets":["whsec_…"]}}`, checked whole. Throws
 * an Error naming the source and what is wrong, never a secret.
 */
export function parseSources(value: unknown): Map<string, InboundSource> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("must be a JSON object of sources");
  }
  const sources = new Map<string, InboundSource>();
  for (const [name, spec] of Object.entries(value)) {
    if (!NAME.test(name) || RESERVED.has(name)) {
      throw new Error(`has a source named "${name}": use a-z, 0-9, _ and -, not stripe or twilio`);
    }
    const { scheme, secrets } = (spec ?? {}) as { scheme?: unknown; secrets?: unknown };
    if (typeof scheme !== "string" || !SCHEMES.has(scheme)) {
      throw new Error(`source ${name} needs "scheme": "standard" or "github"`);
    }
    if (!Array.isArray(secrets) || !secrets.every((s) => typeof s === "string")) {
      throw new Error(`source ${name} needs "secrets": an array of strings`);
    }
    try {
      assertSigningKeys(secrets, "secret");
      if (scheme === "standard") secrets.forEach(standardSecretKey);
    } catch (error) {
      throw new Error(`source ${name}: ${(error as Error).message}`);
    }
    sources.set(name, { scheme: scheme as InboundSource["scheme"], secrets });
  }
  return sources;
}
