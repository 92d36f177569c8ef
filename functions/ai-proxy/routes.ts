import { AppError } from "../../shared/http/errors.ts";
import { isUpstreamModelName } from "../../shared/providers/model-name.ts";

/** One upstream a public model can be served by. */
export interface Target {
  provider: string;
  model: string;
}

/** A route's response cache (`"cache":{"max_age":N,"shared":true}`). */
export interface RouteCache {
  maxAgeSec: number;
  /** One entry for every key asking the same thing; by default each key has its own. */
  shared: boolean;
}

/** How one public model is served. */
export interface Route {
  /** Tried first: in this order, or spread by `weights` when it has them. */
  targets: Target[];
  /** One weight per target when requests are spread in proportion. */
  weights?: number[];
  /** Tried in this order after every target. */
  fallback: Target[];
  cache?: RouteCache;
}

/** Public model name → how it is served. */
export type Routes = Record<string, Route>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function target(spec: unknown, known: ReadonlySet<string>): Target {
  const colon = typeof spec === "string" ? spec.indexOf(":") : -1;
  if (typeof spec !== "string" || colon <= 0 || colon === spec.length - 1) {
    throw new Error(`has ${JSON.stringify(spec)} where "provider:model" is expected`);
  }
  const provider = spec.slice(0, colon);
  if (!known.has(provider)) throw new Error(`names unknown provider "${provider}"`);
  const model = spec.slice(colon + 1);
  if (!isUpstreamModelName(model)) throw new Error(`has ${JSON.stringify(spec)}: not a model name`);
  return { provider, model };
}

function chain(name: string, field: string, value: unknown, known: ReadonlySet<string>) {
  if (!Array.isArray(value)) throw new Error(`route "${name}": ${field} must be a list`);
  return value.map((spec) => target(spec, known));
}

/** `{"targets":[…],"fallback":[…],"cache":{…}}`: targets as strings, or `{model, weight}` each. */
function objectRoute(name: string, value: Record<string, unknown>, known: ReadonlySet<string>) {
  const extra = Object.keys(value).filter((k) => !["targets", "fallback", "cache"].includes(k));
  if (extra.length) throw new Error(`route "${name}" has unknown field "${extra[0]}"`);
  const specs = Array.isArray(value.targets) ? value.targets : [];
  if (specs.length === 0) throw new Error(`route "${name}" needs a non-empty "targets" list`);
  const weighted = specs.filter(isObject);
  if (weighted.length > 0 && weighted.length < specs.length) {
    throw new Error(`route "${name}": give every target a weight, or none`);
  }
  const route: Route = {
    targets: chain(name, "targets", weighted.length ? weighted.map((t) => t.model) : specs, known),
    fallback: value.fallback === undefined ? [] : chain(name, "fallback", value.fallback, known),
  };
  if (weighted.length) {
    route.weights = weighted.map((t) => {
      const weight = t.weight;
      if (typeof weight !== "number" || !(weight > 0) || !Number.isFinite(weight)) {
        throw new Error(`route "${name}": weight of "${String(t.model)}" must be a number > 0`);
      }
      return weight;
    });
  }
  if (value.cache !== undefined) route.cache = routeCache(name, value.cache);
  return route;
}

function routeCache(name: string, value: unknown): RouteCache {
  const maxAge = isObject(value) ? value.max_age : undefined;
  if (!isObject(value) || !Number.isInteger(maxAge) || (maxAge as number) <= 0) {
    throw new Error(`route "${name}": cache must be {"max_age": seconds > 0}`);
  }
  if (value.shared !== undefined && typeof value.shared !== "boolean") {
    throw new Error(`route "${name}": cache.shared must be true or false`);
  }
  return { maxAgeSec: maxAge as number, shared: value.shared === true };
}

/**
 * Checks AI_ROUTES once per isolate. A route is an ordered list (`["openai:gpt-4o-mini",
 * "anthropic:…"]`) or an object with weighted `targets`, a `fallback` list and a `cache`.
 */
export function parseRoutes(value: unknown, known: ReadonlySet<string>): Routes {
  if (!isObject(value)) throw new Error("must be an object of model name to route");
  const routes: Routes = {};
  for (const [name, spec] of Object.entries(value)) {
    if (Array.isArray(spec)) {
      if (spec.length === 0) throw new Error(`route "${name}" needs a non-empty list`);
      routes[name] = { targets: chain(name, "list", spec, known), fallback: [] };
    } else if (isObject(spec)) {
      routes[name] = objectRoute(name, spec, known);
    } else {
      throw new Error(`route "${name}" must be a list or an object`);
    }
  }
  return routes;
}

export interface ResolveOptions {
  /** Whether a caller may name `provider:model` directly (AI_ALLOW_DIRECT_MODELS, or its key). */
  allowDirect?: boolean;
  /** For the weighted draw; tests pass their own. */
  random?: () => number;
}

/** A model's targets among configured providers: those spread by weight, then those in order. */
export interface RoutePlan<T = Target> {
  weighted: { target: T; weight: number }[];
  ordered: T[];
}

/**
 * Which targets may serve `model`, among configured providers: its route, or, where allowed, a
 * direct `provider:model` (checked against the model-name pattern). Nothing here can name a URL.
 */
export function planRoute(
  model: string,
  routes: Routes,
  configured: ReadonlySet<string>,
  options: ResolveOptions = {},
): RoutePlan {
  const route = Object.hasOwn(routes, model) ? routes[model] : undefined;
  const ok = (t: Target) => configured.has(t.provider);
  if (!route)
    return { weighted: [], ordered: options.allowDirect ? directTarget(model).filter(ok) : [] };
  const weighted = route.weights
    ? route.targets
        .map((target, i) => ({ target, weight: route.weights![i]! }))
        .filter((t) => ok(t.target))
    : [];
  return {
    weighted,
    ordered: [...(route.weights ? [] : route.targets), ...route.fallback].filter(ok),
  };
}

/** Weighted sampling without replacement: the first pick is in proportion to the weights. */
export function drawByWeight<T>(
  items: readonly { target: T; weight: number }[],
  random = Math.random,
): T[] {
  const left = [...items];
  const order: T[] = [];
  while (left.length > 0) {
    let point = random() * left.reduce((sum, t) => sum + t.weight, 0);
    let index = left.findIndex((t) => (point -= t.weight) < 0);
    if (index < 0) index = left.length - 1; // random() * total rounding onto the total itself
    order.push(left.splice(index, 1)[0]!.target);
  }
  return order;
}

/** The targets to try for `model`, in order: weighted ones drawn in proportion, then the rest. */
export function resolveModel(
  model: string,
  routes: Routes,
  configured: ReadonlySet<string>,
  options: ResolveOptions = {},
): Target[] {
  const plan = planRoute(model, routes, configured, options);
  return [...drawByWeight(plan.weighted, options.random), ...plan.ordered];
}

function directTarget(model: string): Target[] {
  const colon = model.indexOf(":");
  if (colon <= 0 || colon === model.length - 1) return [];
  const upstream = model.slice(colon + 1);
  if (!isUpstreamModelName(upstream)) {
    throw new AppError({
      status: 400,
      code: "invalid_model",
      category: "validation",
      param: "model",
      message:
        "Invalid model name: letters, digits and . _ - : @ + only, segments joined by single /",
    });
  }
  return [{ provider: model.slice(0, colon), model: upstream }];
}
