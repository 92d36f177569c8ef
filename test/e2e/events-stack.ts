import pg from "pg";
import { type LocalWorker, startLocalWorker } from "../../dev/local/worker.ts";
import { type PostgrestGateway, startPostgrestGateway } from "../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../dev/services/database.ts";
import { freePort } from "../../dev/services/ports.ts";

export const SERVICE_KEY = `svc_${crypto.randomUUID()}`;
export const CRON_SECRET = `cron_${crypto.randomUUID()}`;

export interface EventsStack {
  /** The events function alone (its Cloudflare entry) in its own workerd process. */
  worker: LocalWorker;
  /** Reads the database the worker writes. */
  db: pg.Pool;
  /** Stops the worker (whatever it was doing) and starts a fresh one on the same state. */
  restart(): Promise<void>;
  /** `fetch` to the worker as a service (`Authorization: Bearer <service key>`). */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** One cron run, as Vercel Cron or pg_cron triggers it. */
  cron(): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The events function in workerd over a fresh, migrated database behind the PostgREST gateway
 * and the run's Redis behind the Upstash gateway, allowed to deliver to loopback receivers.
 */
export async function startEventsStack(options: {
  postgresAdminUrl: string;
  upstash: { url: string; token: string };
  bindings?: Record<string, string>;
}): Promise<EventsStack> {
  const databaseUrl = await createDatabase(
    options.postgresAdminUrl,
    `ev_${crypto.randomUUID().slice(0, 8)}`,
  );
  await migrate(databaseUrl);
  const keys = {
    serviceRoleKey: `svc-${crypto.randomUUID()}`,
    anonKey: `anon-${crypto.randomUUID()}`,
  };
  const gateway: PostgrestGateway = await startPostgrestGateway({ databaseUrl, ...keys });
  const bindings = {
    SUPABASE_URL: gateway.url,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    UPSTASH_REDIS_REST_URL: options.upstash.url,
    UPSTASH_REDIS_REST_TOKEN: options.upstash.token,
    STATE_KEY_PREFIX: `e2e-${crypto.randomUUID()}:`,
    SERVICE_API_KEYS: SERVICE_KEY,
    CRON_SECRET,
    WEBHOOK_ALLOW_LOOPBACK: "true",
    LOG_LEVEL: "error",
    ...options.bindings,
  };
  const port = await freePort();
  const start = () => startLocalWorker({ entry: "functions/events/cloudflare.ts", port, bindings });
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on("error", () => {});
  const stack: EventsStack = {
    worker: await start(),
    db,
    async restart() {
      await stack.worker.dispose();
      stack.worker = await start();
    },
    api: (path, init = {}) =>
      fetch(`${stack.worker.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${SERVICE_KEY}`,
          ...(init.headers as Record<string, string>),
        },
      }),
    cron: () =>
      fetch(`${stack.worker.url}/events/cron`, {
        headers: { authorization: `Bearer ${CRON_SECRET}` },
      }),
    async close() {
      await db.end();
      await stack.worker.dispose();
      await gateway.close();
    },
  };
  return stack;
}

/** POST a JSON body as a service. */
export const postJson = (stack: EventsStack, path: string, body: unknown) =>
  stack.api(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** Runs the cron every `everyMs` until `done()` holds (or fails after `timeoutMs`). */
export async function cronUntil(
  stack: EventsStack,
  done: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  everyMs = 200,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("the cron never got there");
    const res = await stack.cron();
    if (res.status !== 200) throw new Error(`cron answered ${res.status}: ${await res.text()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
