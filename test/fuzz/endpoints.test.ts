import fc from "fast-check";
import { afterAll, beforeAll, expect, test, vi } from "vitest";
import { startAiStack } from "../e2e/ai-stack.ts";
import {
  describeCase,
  describeWire,
  type FuzzCase,
  fuzzCase,
  hideInReports,
  prepare,
} from "./cases.ts";
import { checkResponse, describeResponse } from "./check.ts";
import { REPLAY_PATH, RUNS, SEED, TIMEOUT_MS } from "./config.ts";
import { type Endpoint, ENDPOINTS } from "./endpoints.ts";
import { closeConnections, send } from "./http.ts";
import { type ProviderFront, startProviderFront } from "./provider-front.ts";
import { outboundBindings } from "../e2e/outbound-stack.ts";
import { type StripeFake, startStripeFake } from "../mocks/stripe-api.ts";
import {
  TWILIO_FAKE_API_KEY,
  TWILIO_FAKE_API_SECRET,
  type TwilioFake,
  startTwilioFake,
} from "../mocks/twilio-api.ts";
import { REGRESSIONS } from "./regressions.ts";
import { FUZZ_BINDINGS, type FuzzTarget, fuzzTarget } from "./stack.ts";

// Property-based fuzzing of every endpoint of the all-in-one worker in workerd, over real Redis
// and PostgreSQL and the four mock providers (the e2e AI stack). Each property sends real HTTP
// requests and checks every answer against check.ts; config.ts says how many and with which seed.

// The secrets to look for are the ones the worker was really given: the bindings are read where
// the stack hands them to workerd, so a secret added to the stack is checked without edits here.
const given = vi.hoisted(() => ({ bindings: {} as Record<string, string> }));
vi.mock(import("../../dev/local/worker.ts"), async (importOriginal) => {
  const original = await importOriginal();
  return {
    ...original,
    startLocalWorker: (options: Parameters<typeof original.startLocalWorker>[0]) => {
      Object.assign(given.bindings, options.bindings);
      return original.startLocalWorker(options);
    },
  };
});

const PROVIDERS = ["openai", "anthropic", "gemini", "fal"] as const;

let ai: Awaited<ReturnType<typeof startAiStack>>;
let front: ProviderFront;
let twilio: TwilioFake;
let stripe: StripeFake;
let target: FuzzTarget;
/** Cases tried per endpoint: its own property's, and the routing property's. */
const tried = new Map<string, number>(ENDPOINTS.map((e) => [e.name, 0]));
/** Statuses answered per endpoint: shows how far past validation and auth the cases got. */
const statuses = new Map<string, Map<number, number>>(ENDPOINTS.map((e) => [e.name, new Map()]));
let shrinks = 0;

beforeAll(async () => {
  front = await startProviderFront();
  const bases = Object.fromEntries(
    PROVIDERS.map((p) => [`${p.toUpperCase()}_BASE_URL`, front.baseUrl(p)]),
  );
  [twilio, stripe] = await Promise.all([startTwilioFake(), startStripeFake()]);
  // Messaging sends with an API key: TWILIO_AUTH_TOKEN stays the one that signs the webhooks.
  const { TWILIO_AUTH_TOKEN: _signsWebhooks, ...outbound } = outboundBindings(
    twilio.url,
    stripe.url,
  );
  ai = await startAiStack({
    ...FUZZ_BINDINGS,
    ...bases,
    ...outbound,
    TWILIO_API_KEY: TWILIO_FAKE_API_KEY,
    TWILIO_API_SECRET: TWILIO_FAKE_API_SECRET,
  });
  for (const p of PROVIDERS) front.route(p, ai.mocks[p].url);
  target = fuzzTarget(ai.worker.url, given.bindings);
  hideInReports(target.secrets);
}, 60_000);

afterAll(async () => {
  const total = [...tried.values()].reduce((sum, n) => sum + n, 0);
  const perEndpoint = [...tried]
    .map(([name, n]) => {
      const byStatus = [...(statuses.get(name) ?? [])].sort(([a], [b]) => a - b);
      return `  ${name}: ${n} (${byStatus.map(([status, k]) => `${status}×${k}`).join(" ")})`;
    })
    .join("\n");
  const dropped = [...front.dropped].map(([p, n]) => `${p} ${n}`).join(", ");
  console.log(
    `fuzz: ${total} cases over ${tried.size} endpoints (seed ${SEED}, ${RUNS} per property` +
      `${shrinks ? `, plus ${shrinks} shrink steps` : ""})\n${perEndpoint}` +
      `\n  answers checked for ${target?.secrets.length ?? 0} secrets: ` +
      [...new Set(target?.secrets.map((s) => s.name))].join(", ") +
      (dropped
        ? `\n  requests a mock could not take (answered 400 as its vendor would): ${dropped}`
        : "") +
      (closedEarly
        ? `\n  oversized chunked bodies cut off by a closed connection: ${closedEarly}`
        : "") +
      (inconclusive
        ? `\n  shrink steps answered by a breaker the failure had opened: ${inconclusive}`
        : ""),
  );
  closeConnections();
  await ai?.close();
  await front?.close();
  await Promise.all([twilio?.close(), stripe?.close()]);
});

let closedEarly = 0;
let inconclusive = 0;

const get = (path: string) =>
  send(target.origin, {
    method: "GET",
    target: path,
    headers: [],
    body: new Uint8Array(),
    framing: "length",
  });

/** Breakers open now, by name, with when their open period ends. */
async function openBreakers(): Promise<{ name: string; openUntil: number }[]> {
  const res = await get("/health/breakers");
  const { breakers } = JSON.parse(res.body.toString()) as {
    breakers: { name: string; state: string; openUntil: number | null }[];
  };
  return breakers
    .filter((b) => b.state === "open")
    .map((b) => ({ name: b.name, openUntil: b.openUntil ?? 0 }));
}

/**
 * Waits out breakers an earlier property left open (its failure opened them): this property must
 * meet a healthy worker, not the 503s of another's bug. Only ever waits after a failure.
 */
async function waitForClosedBreakers(): Promise<void> {
  const open = await openBreakers();
  if (open.length === 0) return;
  const until = Math.max(...open.map((b) => b.openUntil));
  const names = open.map((b) => b.name).join(", ");
  console.log(
    `fuzz: waiting ${Math.ceil((until - Date.now()) / 1000)} s for open breakers (${names})`,
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, until - Date.now()) + 500));
}

/** One property's run: whether it has failed yet (then breaker-open 503s prove nothing). */
interface Run {
  failed: boolean;
}

/** Sends one case and checks its answer; throws what fast-check reports. */
async function exercise(endpoint: Endpoint, c: FuzzCase, run: Run): Promise<void> {
  // Shrink steps are counted apart (fast-check's numShrinks).
  if (!run.failed) tried.set(endpoint.name, (tried.get(endpoint.name) ?? 0) + 1);
  const prepared = await prepare(c, endpoint, target);
  let response;
  try {
    response = await send(target.origin, prepared.wire);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // A chunked body over the limit is cut off: the worker answers 413 and the connection closes
    // under bytes still in flight, and TCP's reset may reach us before the 413 does. Nothing
    // to check in the answer then, only that the worker is still there.
    const over = endpoint.limit !== undefined && prepared.wire.body.length > endpoint.limit;
    if (
      over &&
      (code === "EPIPE" || code === "ECONNRESET") &&
      (await get("/health")).status === 200
    ) {
      closedEarly++;
      return;
    }
    throw new Error(
      `no answer (${(error as Error).message})\n--- request (as sent)\n${describeWire(prepared.wire)}`,
    );
  }
  const byStatus = statuses.get(endpoint.name)!;
  byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
  if (response.status === 503) {
    const open = await openBreakers();
    // While shrinking, a breaker the failure itself opened answers 503 to any case: such an
    // answer says nothing about the smaller case, so it must not become the counterexample.
    if (run.failed && open.length > 0) {
      inconclusive++;
      return;
    }
    if (open.length > 0) {
      const names = open.map((b) => b.name).join(", ");
      throw new Error(
        `503 with breakers open (${names}): earlier cases of this property opened them\n` +
          `--- request (as sent)\n${describeWire(prepared.wire)}\n--- response\n${describeResponse(response)}`,
      );
    }
  }
  checkResponse(prepared, response, target.secrets);
}

// fast-check prints a counterexample with this: a few lines instead of a megabyte of body.
const printable = <T extends FuzzCase>(c: T) =>
  Object.assign(c, { [fc.toStringMethod]: () => describeCase(c) });

async function run<T>(
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T, run: Run) => Promise<void>,
) {
  await waitForClosedBreakers();
  const state: Run = { failed: false };
  // The first failure as it happened: shrinking replays smaller cases against a worker the
  // failure may have changed (an open breaker answers 503 to anything), so the shrunk case alone
  // can mislead.
  let first: string | undefined;
  const recorded = async (value: T) => {
    try {
      await predicate(value, state);
    } catch (error) {
      state.failed = true;
      first ??= error instanceof Error ? error.message : String(error);
      throw error;
    }
  };
  const details = await fc.check(fc.asyncProperty(arbitrary, recorded), {
    seed: SEED,
    numRuns: RUNS,
    ...(REPLAY_PATH ? { path: REPLAY_PATH } : {}),
  });
  shrinks += details.numShrinks;
  if (details.failed) {
    // The report names the shrunk case and how to replay it; the error says what went wrong,
    // with the request exactly as sent and the answer.
    const error = details.errorInstance;
    throw new Error(
      `${fc.defaultReportMessage(details)}\n\nShrunk case: ${error instanceof Error ? error.message : String(error)}` +
        `\n\nFirst failure, before shrinking: ${first}`,
    );
  }
}

// Counterexamples found before, each its own test (regressions.ts), first: a fixed seed need not
// meet them again, and while one fails the random properties still explore everything else (one
// failing request each opens no breaker, and each property waits out any left open).
for (const regression of REGRESSIONS) {
  const endpoint = ENDPOINTS.find((e) => e.name === regression.endpoint)!;
  test(`regression: ${endpoint.name}: ${regression.title}`, () =>
    exercise(endpoint, regression.case(endpoint), { failed: false }));
}

for (const endpoint of ENDPOINTS) {
  test(
    endpoint.name,
    () =>
      run(fuzzCase(endpoint, { suffix: false }).map(printable), (c, state) =>
        exercise(endpoint, c, state),
      ),
    TIMEOUT_MS,
  );
}

test(
  "routing: every endpoint's path followed by slashes, dot segments and odd encodings",
  () =>
    run(
      fc
        .constantFrom(...ENDPOINTS)
        .chain((endpoint) =>
          fuzzCase(endpoint, { suffix: true }).map((c) =>
            printable({ ...c, endpoint: endpoint.name }),
          ),
        ),
      (c, state) =>
        exercise(
          ENDPOINTS.find((e) => e.name === c.endpoint)!,
          c,
          state,
        ),
    ),
  TIMEOUT_MS,
);

test("the worker still answers GET /health with 200 after the run", async () => {
  const res = await get("/health");
  expect(res.status, describeResponse(res)).toBe(200);
});
