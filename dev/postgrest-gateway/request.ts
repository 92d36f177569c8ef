import type { IncomingHttpHeaders } from "node:http";
import { pgrstError } from "./errors.ts";
import type { Routine } from "./schema.ts";

/** How the response is written: PostgREST's plural JSON, or one object (`.single()`). */
export interface Media {
  contentType: string;
  single: boolean;
}

// The response media types we produce, by what an Accept header may ask for.
const JSON_MEDIA: Media = { contentType: "application/json; charset=utf-8", single: false };
const OBJECT_MEDIA: Media = {
  contentType: "application/vnd.pgrst.object+json; charset=utf-8",
  single: true,
};
const MEDIA: Readonly<Record<string, Media>> = {
  "*/*": JSON_MEDIA,
  "application/*": JSON_MEDIA,
  "application/json": JSON_MEDIA,
  "application/vnd.pgrst.object+json": OBJECT_MEDIA,
};

/**
 * Picks the response media type from `Accept`, best quality first. Anything else PostgREST
 * offers (CSV, plans, `nulls=stripped`) is refused with its 406 PGRST107.
 */
export function negotiate(accept: string | undefined): Media {
  if (!accept?.trim()) return JSON_MEDIA;
  const ranges = accept.split(",").map((range) => {
    const [type = "", ...params] = range.split(";").map((part) => part.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    const others = params.filter((p) => !p.startsWith("q=") && !p.startsWith("charset="));
    return { type, q: q ? Number(q.slice(2)) : 1, media: others.length ? undefined : MEDIA[type] };
  });
  const best = ranges.filter((r) => r.q > 0).sort((a, b) => b.q - a.q);
  const media = best.find((r) => r.media)?.media;
  if (media) return media;
  throw pgrstError(406, "PGRST107", `None of these media types are available: ${accept}`);
}

/** The arguments of a call: a POSTed JSON body, passed on as sent, or a GET's query string. */
export type Arguments =
  | { from: "body"; json: string; keys: ReadonlySet<string> }
  | { from: "query"; values: ReadonlyMap<string, readonly string[]>; keys: ReadonlySet<string> };

/** Reads a POST body as PostgREST does (ApiRequest.hs, getPayload and payloadAttributes). */
export function bodyArguments(contentType: string | undefined, body: string): Arguments {
  const [type = ""] = (contentType ?? "application/json").split(";");
  const mime = type.trim().toLowerCase();
  if (mime !== "application/json") {
    throw pgrstError(400, "PGRST102", `Content-Type not acceptable: ${mime}`);
  }
  // An RPC may be POSTed without a body: it is called with no arguments.
  if (body === "") return { from: "body", json: "{}", keys: new Set() };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw pgrstError(400, "PGRST102", "Empty or invalid json");
  }
  const keysOf = (v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v) : undefined;
  if (Array.isArray(value) && value.length > 0) {
    // An array of objects, all with the same keys, names the arguments (PostgreSQL then decides).
    const first = keysOf(value[0]);
    const uniform = value.every((item) => {
      const keys = keysOf(item);
      return first && keys && keys.length === first.length && keys.every((k) => first.includes(k));
    });
    if (!uniform) throw pgrstError(400, "PGRST102", "All object keys must match");
    return { from: "body", json: body, keys: new Set(first) };
  }
  return { from: "body", json: body, keys: new Set(keysOf(value)) };
}

// Query parameters PostgREST gives meaning to on a GET; this gateway implements none of them.
const RESERVED = new Set([
  "select",
  "columns",
  "on_conflict",
  "order",
  "limit",
  "offset",
  "and",
  "or",
]);

/** A GET's arguments: every query parameter but `apikey` (the API gateway's own). */
export function queryArguments(query: URLSearchParams): Arguments {
  const values = new Map<string, string[]>();
  for (const [name, value] of query) {
    if (name === "apikey" || (name === "select" && value === "*")) continue;
    if (RESERVED.has(name)) {
      throw pgrstError(400, "PGRST100", `"${name}" is not supported by this local RPC gateway`, {
        hint: "Only arguments of the function are accepted in the query string.",
      });
    }
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  return { from: "query", values, keys: new Set(values.keys()) };
}

/** The JSON object the call reads its arguments from: repeated GET values only for a variadic. */
export function argumentsJson(args: Arguments, routine: Routine): string {
  if (args.from === "body") return args.json;
  const variadic = new Set(routine.params.filter((p) => p.variadic).map((p) => p.name));
  const entries = [...args.values].map(([name, all]) => [
    name,
    variadic.has(name) ? all : all.at(-1),
  ]);
  return JSON.stringify(Object.fromEntries(entries));
}

/** PostgREST's `Accept-Profile`/`Content-Profile` check: only `public` is exposed. */
export function checkProfile(headers: IncomingHttpHeaders): void {
  const profile = headers["content-profile"] ?? headers["accept-profile"];
  if (profile !== undefined && profile !== "public") {
    throw pgrstError(406, "PGRST106", "The schema must be one of the following: public");
  }
}

/** Whether `Prefer` asks for a count (`count=exact|planned|estimated`): all are exact here. */
export function wantsCount(headers: IncomingHttpHeaders): boolean {
  return /\bcount=(exact|planned|estimated)\b/.test(String(headers.prefer ?? ""));
}
