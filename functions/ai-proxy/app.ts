import { Hono } from "hono";
import { clientAddress } from "../../shared/http/client-address.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { withDeps } from "../../shared/http/deps.ts";
import { ENDPOINTS } from "./endpoints.ts";
import { proxy } from "./proxy.ts";
import type { AiProxyDeps, AiProxyEnv } from "./types.ts";

/**
 * The OpenAI-compatible proxy: GET /v1/models and one POST per row of the endpoint table.
 * Every /v1 request needs a proxy key first.
 */
export function createAiProxyApp(depsFor: (env: object) => AiProxyDeps) {
  const app = new Hono<AiProxyEnv>();
  app.use("/v1/*", withDeps(depsFor), async function proxyKey(c, next) {
    const context = { address: clientAddress(c.req.raw.headers), defer: deferFor(c) };
    c.set("caller", await c.var.deps.authenticate(c.req.header("authorization"), context));
    await next();
  });
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: c.var.deps.models.map((id) => ({
        id,
        object: "model",
        created: 0,
        owned_by: "breakwater",
      })),
    }),
  );
  for (const endpoint of ENDPOINTS) app.post(endpoint.path, (c) => proxy({ c, endpoint }));
  return app;
}
