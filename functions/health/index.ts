import { createRootApp } from "../../shared/http/app.ts";
import { createHealthApp } from "./app.ts";
import { healthDeps, statusDeps } from "./deps.ts";
import { createStatusApp } from "./status.ts";

/** Health deployed on its own: the shared root (request ids, access log, errors) around its app. */
export default createRootApp({
  name: "health",
  apps: [createHealthApp(healthDeps), createStatusApp(statusDeps)],
});
