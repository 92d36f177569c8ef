import { BoundedMap } from "../../shared/bounded-map.ts";
import type { ConfiguredProvider } from "../../shared/providers/index.ts";
import type { CircuitBreaker } from "../../shared/resilience/breaker/breaker.ts";
import type { Capability } from "./endpoints.ts";
import type { ChainTarget } from "./failover.ts";
import { type RoutePlan, type Routes, type Target, drawByWeight, planRoute } from "./routes.ts";

export interface ChainsOptions {
  providers: ReadonlyMap<string, ConfiguredProvider>;
  routes: Routes;
  breaker(provider: string): CircuitBreaker;
}

/**
 * The fallback chains of the routes, resolved once per isolate (route, provider transform,
 * breaker) per capability and model name; a weighted route's order is drawn per request.
 */
export function createChains(options: ChainsOptions) {
  const { providers, routes } = options;
  const configured = new Set(providers.keys());
  // Model names come from callers (direct ones among them), hence the bound.
  const plans = new BoundedMap<string, RoutePlan<ChainTarget>>(1_000);
  const link = (capability: Capability) => (target: Target) => {
    const { provider, config } = providers.get(target.provider)!;
    const transform = provider[capability];
    // Named after the provider, like its health check, so the cron can half-open it early.
    const breaker = options.breaker(target.provider);
    return transform ? [{ target, provider, config, breaker, transform } as ChainTarget] : [];
  };
  const plan = (capability: Capability, model: string, allowDirect: boolean) => {
    const { weighted, ordered } = planRoute(model, routes, configured, { allowDirect });
    return {
      weighted: weighted.flatMap(({ target, weight }) =>
        link(capability)(target).map((chained) => ({ target: chained, weight })),
      ),
      ordered: ordered.flatMap(link(capability)),
    };
  };
  return {
    /** The public model names with at least one configured target (GET /v1/models). */
    models: Object.keys(routes).filter((name) => {
      const { weighted, ordered } = planRoute(name, routes, configured);
      return weighted.length + ordered.length > 0;
    }),
    /** The chain to try for `model`; `allowDirect` lets a `provider:model` name serve. */
    targets(capability: Capability, model: string, allowDirect: boolean): readonly ChainTarget[] {
      const key = `${capability} ${allowDirect ? "direct" : "routed"} ${model}`;
      let found = plans.get(key);
      if (!found) plans.set(key, (found = plan(capability, model, allowDirect)));
      return found.weighted.length === 0
        ? found.ordered
        : [...drawByWeight(found.weighted), ...found.ordered];
    },
  };
}
