import { createRootApp } from "../../shared/http/app.ts";
import { createKeyAdminApp } from "./admin.ts";
import { createAiProxyApp } from "./app.ts";
import { aiProxyDeps } from "./deps.ts";

/** The AI proxy deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({
  name: "ai-proxy",
  apps: [createAiProxyApp(aiProxyDeps), createKeyAdminApp(aiProxyDeps)],
});
