/** One upstream a public model can be served by. */
export interface Target {
  provider: string;
  model: string;
}

/** Public model name → ordered fallback chain. */
export type Routes = Record<string, Target[]>;

function target(spec: unknown, known: ReadonlySet<string>): Target {
  const colon = typeof spec === "string" ? spec.indexOf(":") : -1;
  if (typeof spec !== "string" || colon <= 0 || colon === spec.length - 1) {
    throw new Error(`has ${JSON.stringify(spec)} where "provider:model" is expected`);
  }
  const provider = spec.slice(0, colon);
  if (!known.has(provider)) throw new Error(`names unknown provider "${provider}"`);
  return { provider, model: spec.slice(colon + 1) };
}

/** Checks AI_ROUTES (`{"chat-default":["openai:gpt-4o-mini","anthropic:…"]}`) once per isolate. */
export function parseRoutes(value: unknown, known: ReadonlySet<string>): Routes {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error("must be an object of model name to a list of provider:model");
  }
  const routes: Routes = {};
  for (const [name, chain] of Object.entries(value)) {
    if (!Array.isArray(chain) || chain.length === 0)
      throw new Error(`route "${name}" needs a non-empty list`);
    routes[name] = chain.map((spec) => target(spec, known));
  }
  return routes;
}

/**
 * The targets that may serve `model`, in order, among configured providers: its route, or a
 * direct `provider:model` when that provider is configured. Nothing here can name a URL.
 */
export function resolveModel(
  model: string,
  routes: Routes,
  configured: ReadonlySet<string>,
): Target[] {
  const chain = Object.hasOwn(routes, model) ? routes[model]! : directTarget(model);
  return chain.filter((t) => configured.has(t.provider));
}

function directTarget(model: string): Target[] {
  const colon = model.indexOf(":");
  return colon > 0 && colon < model.length - 1
    ? [{ provider: model.slice(0, colon), model: model.slice(colon + 1) }]
    : [];
}
