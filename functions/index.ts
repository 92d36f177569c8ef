import { createRootApp, type RootAppOptions } from "../shared/http/app.ts";
import { createHealthApp } from "./health/app.ts";
import { healthDeps } from "./health/deps.ts";

/** Every function, mounted on one app: `npm start` and the all-in-one Cloudflare worker. */
export function createAllFunctionsApp(options: Partial<RootAppOptions> = {}) {
  return createRootApp({
    name: "breakwater",
    ...options,
    apps: [createHealthApp(healthDeps)],
  });
}
