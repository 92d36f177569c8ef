import { request } from "node:http";
import pg from "pg";
import Stripe from "stripe";
import twilio from "twilio";
import { type LocalWorker, startLocalWorker } from "../../dev/local/worker.ts";
import { type PostgrestGateway, startPostgrestGateway } from "../../dev/postgrest-gateway/index.ts";
import { createDatabase, migrate } from "../../dev/services/database.ts";
import { freePort } from "../../dev/services/ports.ts";

export const STRIPE_SECRET = "whsec_e2e_c2VjcmV0LWZvci10ZXN0cw";
export const TWILIO_TOKEN = "e2e-twilio-auth-token-0123456789ab";
export const PUBLIC_BASE_URL = "https://hooks.example.com";

export interface WebhookStack {
  worker: LocalWorker;
  /** Every instance (`worker` is the first): separate workerd processes sharing state. */
  workers: LocalWorker[];
  /** The PostgREST gateway the workers call: its request count is their Postgres round trips. */
  postgrest: PostgrestGateway;
  /** The worker's bindings, for a second instance of the same deployment. */
  bindings: Record<string, string>;
  /** Reads the database the worker writes (a pool: it reconnects after a PostgreSQL restart). */
  db: pg.Pool;
  close(): Promise<void>;
}

/**
 * The all-in-one worker in its own workerd process over a fresh database (every migration
 * applied) behind the PostgREST gateway, and the run's Redis behind the Upstash gateway.
 */
export async function startWebhookStack(options: {
  postgresAdminUrl: string;
  upstash: { url: string; token: string };
  /** More bindings for the worker (e.g. the AI proxy's providers and routes). */
  bindings?: Record<string, string>;
  /** How many workerd processes serve the same database and Redis prefix (default 1). */
  instances?: number;
}): Promise<WebhookStack> {
  const adminUrl = options.postgresAdminUrl;
  const databaseUrl = await createDatabase(adminUrl, `wh_${crypto.randomUUID().slice(0, 8)}`);
  await migrate(databaseUrl);
  const keys = {
    serviceRoleKey: `svc-${crypto.randomUUID()}`,
    anonKey: `anon-${crypto.randomUUID()}`,
  };
  const gateway = await startPostgrestGateway({ databaseUrl, ...keys });
  const { upstash } = options;
  const bindings = {
    SUPABASE_URL: gateway.url,
    SUPABASE_SERVICE_ROLE_KEY: keys.serviceRoleKey,
    UPSTASH_REDIS_REST_URL: upstash.url,
    UPSTASH_REDIS_REST_TOKEN: upstash.token,
    STATE_KEY_PREFIX: `e2e-${crypto.randomUUID()}:`,
    STRIPE_WEBHOOK_SECRET: STRIPE_SECRET,
    STRIPE_MODE: "test",
    TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
    PUBLIC_BASE_URL,
    LOG_LEVEL: "error",
    ...options.bindings,
  };
  const workers: LocalWorker[] = [];
  // One after the other: each start bundles the entry to the same file.
  for (let i = 0; i < (options.instances ?? 1); i++) {
    workers.push(
      await startLocalWorker({ entry: "functions/worker.ts", port: await freePort(), bindings }),
    );
  }
  const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  db.on("error", () => {}); // idle connections die with a stopped PostgreSQL; the pool reconnects
  return {
    worker: workers[0]!,
    workers,
    postgrest: gateway,
    bindings,
    db,
    async close() {
      await db.end();
      await Promise.all(workers.map((worker) => worker.dispose()));
      await gateway.close();
    },
  };
}

/**
 * POST through node:http. A server that refuses a request before reading all of it (413, 415)
 * answers while the client is still sending; fetch then fails the whole call, node:http still
 * hands over the answer, which is what a provider's HTTP client sees too.
 */
export function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: {
        ...headers,
        "content-length": String(Buffer.byteLength(body)),
        expect: "100-continue",
      },
    });
    req.on("continue", () => req.end(body));
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const answer = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (typeof value === "string") answer.set(name, value);
        resolve(new Response(Buffer.concat(chunks), { status: res.statusCode!, headers: answer }));
      });
      res.on("error", reject);
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
  });
}

const stripe = new Stripe("sk_test_e2e");
let sequence = 0;

/** A Stripe event as Stripe sends it, around `object`. */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  fields: { id?: string; created?: number; livemode?: boolean } = {},
) {
  return {
    id: fields.id ?? `evt_e2e_${++sequence}_${crypto.randomUUID().slice(0, 8)}`,
    object: "event",
    api_version: "2025-10-29.clover",
    created: fields.created ?? Math.floor(Date.now() / 1000),
    livemode: fields.livemode ?? false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

/** A Stripe-Signature header for `payload`, from Stripe's own SDK (the oracle). */
export function signStripe(payload: string, options: { secret?: string; timestamp?: number } = {}) {
  return stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? STRIPE_SECRET,
    ...(options.timestamp !== undefined ? { timestamp: options.timestamp } : {}),
  });
}

/** POSTs `payload` to /webhooks/stripe signed by Stripe's own SDK (the oracle). */
export async function sendStripe(
  worker: LocalWorker,
  payload: string,
  options: { secret?: string; timestamp?: number; header?: string } = {},
): Promise<Response> {
  const header = options.header ?? (await signStripe(payload, options));
  return post(`${worker.url}/webhooks/stripe`, payload, {
    "content-type": "application/json",
    "stripe-signature": header,
  });
}

/** POSTs form `params` to a Twilio route, signed by Twilio's own SDK over the public URL. */
export async function sendTwilio(
  worker: LocalWorker,
  path: string,
  params: Record<string, string>,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const signature = twilio.getExpectedTwilioSignature(
    options.token ?? TWILIO_TOKEN,
    `${PUBLIC_BASE_URL}${path}`,
    params,
  );
  return post(`${worker.url}${path}`, new URLSearchParams(params).toString(), {
    "content-type": "application/x-www-form-urlencoded",
    "x-twilio-signature": signature,
    ...options.headers,
  });
}
