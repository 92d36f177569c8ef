import { Hono } from "hono";
import { clientAddress } from "../../shared/http/client-address.ts";
import { deferFor } from "../../shared/http/defer.ts";
import { withDeps } from "../../shared/http/deps.ts";
import { ENDPOINTS } from "./endpoints.ts";
import { proxy } from "./proxy.ts";
import type { AiProxyDeps, AiProxyEnv } from "./types.ts";

/**
 * The AI proxy: GET /v1/models and one POST per row of the endpoint table (OpenAI Chat
 * Completions, Embeddings, Images and Responses; Anthropic Messages and its token count). Every
 * /v1 request needs a proxy key first, as a bearer token or in x-api-key.
 */
export function createAiProxyApp(depsFor: (env: object) => AiProxyDeps) {
  const app = new Hono<AiProxyEnv>();
  app.use("/v1/*", withDeps(depsFor), async function proxyKey(c, next) {
    // Anthropic's SDKs send the key in x-api-key; OpenAI's as a bearer token.
    const apiKey = c.req.header("x-api-key");
    const authorization =
      c.req.header("authorization") ?? (apiKey ? `Bearer ${apiKey}` : undefined);
    const context = { address: clientAddress(c.req.raw.headers), defer: deferFor(c) };
    c.set("caller", await c.get("deps").authenticate(authorization, context));
    await next();
  });
  // One list both SDKs read: OpenAI's fields and Anthropic's side by side.
  app.get("/v1/models", (c) => {
    const { models } = c.get("deps");
    return c.json({
      object: "list",
      data: models.map((id) => ({
        id,
        object: "model",
        created: 0,
        owned_by: "breakwater",
        type: "model",
        display_name: id,
        created_at: "1970-01-01T00:00:00Z",
      })),
      has_more: false,
      first_id: models[0] ?? null,
      last_id: models.at(-1) ?? null,
    });
  });
  for (const endpoint of ENDPOINTS) app.post(endpoint.path, (c) => proxy({ c, endpoint }));
  return app;
}
