import { anthropic } from "./anthropic/index.ts";
import { fal } from "./fal/index.ts";
import { gemini } from "./gemini/index.ts";
import { openai } from "./openai/index.ts";
import type { Provider, ProviderConfig } from "./types.ts";

/** Every provider the proxy and health know, by name. Adding one is one line here. */
export const PROVIDERS: ReadonlyMap<string, Provider> = new Map(
  [openai, anthropic, gemini, fal].map((provider) => [provider.name, provider]),
);

export interface ConfiguredProvider {
  provider: Provider;
  config: ProviderConfig;
}

/** The providers whose key is set in `env`, with their base URL (override or vendor default). */
export function configuredProviders(env: Record<string, unknown>): Map<string, ConfiguredProvider> {
  const configured = new Map<string, ConfiguredProvider>();
  for (const provider of PROVIDERS.values()) {
    const apiKey = env[provider.keyVar];
    if (typeof apiKey !== "string" || apiKey === "") continue;
    const override = env[provider.baseUrlVar];
    const baseUrl = (
      typeof override === "string" && override !== "" ? override : provider.defaultBaseUrl
    ).replace(/\/+$/, "");
    configured.set(provider.name, { provider, config: { apiKey, baseUrl } });
  }
  return configured;
}
