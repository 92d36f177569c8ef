import { Hono, type MiddlewareHandler } from "hono";
import type { BaseVariables } from "../../shared/http/app.ts";
import { AppError } from "../../shared/http/errors.ts";
import { secureCompare } from "../../shared/http/secure-compare.ts";
import { type StatusDeps, statusReport } from "./status-data.ts";
import { statusPage } from "./status-page.ts";

const REALM = 'Basic realm="Breakwater status", charset="UTF-8"';

/**
 * HTTP Basic, any user name, the password compared in constant time. Hono's basicAuth answers
 * through an HTTPException whose WWW-Authenticate header our error envelope would drop, and a
 * browser shows its password prompt only with that header.
 */
function authorized(header: string | undefined, password: string): boolean {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? "")?.[1];
  if (!encoded) return false;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0)));
  } catch {
    return false;
  }
  const colon = decoded.indexOf(":");
  return colon >= 0 && secureCompare(decoded.slice(colon + 1), password);
}

/**
 * GET /status (the operator's page, HTML) and GET /status.json (the same report), behind
 * STATUS_PASSWORD; without it neither exists (404), like every admin surface here.
 */
export function createStatusApp(depsFor: (env: object) => StatusDeps) {
  const app = new Hono<{ Variables: BaseVariables }>();
  const guard: MiddlewareHandler = async function statusGuard(c, next) {
    const { password } = depsFor(c.env ?? {});
    if (!password) {
      throw new AppError({
        status: 404,
        code: "not_found",
        category: "not_found",
        message: `No route for ${c.req.method} ${c.req.path}`,
      });
    }
    if (!authorized(c.req.header("authorization"), password)) {
      throw new AppError({
        status: 401,
        code: "unauthorized",
        category: "authentication",
        message: "The status page needs its password (HTTP Basic, any user name)",
        headers: { "WWW-Authenticate": REALM },
      });
    }
    await next();
  };
  app.use("/status", guard);
  app.use("/status.json", guard);
  app.get("/status.json", async (c) => {
    c.header("cache-control", "no-store");
    return c.json(await statusReport(depsFor(c.env ?? {}), Date.now(), c.get("trace")));
  });
  app.get("/status", async (c) => {
    const report = await statusReport(depsFor(c.env ?? {}), Date.now(), c.get("trace"));
    const nonce = crypto.randomUUID().replaceAll("-", "");
    c.header(
      "content-security-policy",
      `default-src 'none'; style-src 'nonce-${nonce}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    c.header("cache-control", "no-store");
    c.header("referrer-policy", "no-referrer");
    c.header("x-content-type-options", "nosniff");
    return c.html(statusPage(report, nonce));
  });

  return app;
}
