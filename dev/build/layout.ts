import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Where `npm run build` writes each platform's artifacts (all ignored by git). */
export const OUT = {
  /** `wrangler deploy --dry-run --outdir` of each worker: exactly what `wrangler deploy` uploads. */
  cloudflare: `${ROOT}.breakwater/build/cloudflare`,
  /** Vercel's Build Output API v3: what `vercel deploy --prebuilt` uploads. */
  vercel: `${ROOT}.vercel/output`,
  /** One folder per function: what `supabase functions deploy <name>` bundles. */
  supabase: `${ROOT}supabase/functions`,
  /** The size report (sizes.json, sizes.md). */
  report: `${ROOT}.breakwater/build`,
};

export type Platform = "cloudflare" | "vercel" | "supabase";
export const PLATFORMS: readonly Platform[] = ["cloudflare", "vercel", "supabase"];

/** One built bundle: the file a platform runs for one worker or function. */
export interface Artifact {
  platform: Platform;
  /** A function's name, or `breakwater` for the all-in-one worker. */
  name: string;
  file: string;
}

/** Runs `task` over `items`, at most `limit` at a time (the build machine may have two cores). */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
