import { type FetchApp, executionContext } from "./entry.ts";

/** The context Vercel passes an Edge Function with each request (Build Output API v3). */
export interface VercelEdgeContext {
  waitUntil(pending: Promise<unknown>): void;
}

/**
 * The default export of a Vercel Edge Function serving `app`. Its bindings are `process.env`,
 * which Vercel fills with the variables listed in the function's `.vc-config.json`
 * (`envVarsInUse`); `waitUntil` comes with each request, so deferred work outlives the response.
 */
export function vercelEdge(app: FetchApp) {
  // Read once per isolate, like a Worker's env: dependencies are built once per env object.
  let env: object | undefined;
  return (request: Request, context: VercelEdgeContext) => {
    env ??= (globalThis as unknown as { process: { env: object } }).process.env;
    return app.fetch(
      request,
      env,
      executionContext((pending) => context.waitUntil(pending)),
    );
  };
}
