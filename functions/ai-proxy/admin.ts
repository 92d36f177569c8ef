import { Hono } from "hono";
import { bearerToken } from "../../shared/auth/service-key.ts";
import type { Database } from "../../shared/clients/database.ts";
import type { BaseVariables } from "../../shared/http/app.ts";
import { withDeps } from "../../shared/http/deps.ts";
import { readJson } from "../../shared/http/body.ts";
import { AppError } from "../../shared/http/errors.ts";
import { secureCompare } from "../../shared/http/secure-compare.ts";
import { createKey, listKeys, newKeyRequest, revokeKey } from "./key-admin.ts";

export interface KeyAdminDeps {
  /** ADMIN_API_KEY: unset, the admin routes do not exist (404). */
  adminApiKey: string | undefined;
  db: Database;
}

/** A key's settings are small; this leaves room for a long model list. */
const MAX_BODY_BYTES = 64 * 1024;

const notFound = (c: { req: { method: string; path: string } }) =>
  new AppError({
    status: 404,
    code: "not_found",
    category: "not_found",
    message: `No route for ${c.req.method} ${c.req.path}`,
  });

/**
 * Key management for the proxy, behind `Authorization: Bearer <ADMIN_API_KEY>`:
 * POST /admin/keys (201, the key shown this once), GET /admin/keys, DELETE /admin/keys/{id}.
 */
export function createKeyAdminApp(depsFor: (env: object) => KeyAdminDeps) {
  const app = new Hono<{ Variables: BaseVariables & { deps: KeyAdminDeps } }>();
  app.use("/admin/*", withDeps(depsFor), async function adminKey(c, next) {
    const deps = c.get("deps");
    // Unconfigured, the surface answers exactly like a path nobody serves.
    if (!deps.adminApiKey) throw notFound(c);
    const token = bearerToken(c.req.header("authorization"));
    if (!token || !secureCompare(token, deps.adminApiKey)) {
      throw new AppError({
        status: 401,
        code: "unauthorized",
        category: "authentication",
        message: "Send Authorization: Bearer <ADMIN_API_KEY>",
        headers: { "WWW-Authenticate": "Bearer" },
      });
    }
    await next();
  });

  app.post("/admin/keys", async (c) => {
    const request = newKeyRequest(await readJson(c.req.raw, MAX_BODY_BYTES));
    return c.json(await createKey(c.get("deps").db, request), 201, { "cache-control": "no-store" });
  });

  app.get("/admin/keys", async (c) => c.json({ data: await listKeys(c.get("deps").db) }));

  app.delete("/admin/keys/:id", async (c) => {
    const revoked = await revokeKey(c.get("deps").db, c.req.param("id"));
    if (!revoked) {
      throw new AppError({
        status: 404,
        code: "key_not_found",
        category: "not_found",
        message: "No key with this id",
      });
    }
    return c.json(revoked);
  });
  return app;
}
