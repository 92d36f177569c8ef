// Each function's Cloudflare bundle, built as `npm run build` builds it (wrangler deploy
// --dry-run), measured as its size report measures it.
import { buildCloudflare } from "../dev/build/cloudflare.ts";
import { measure } from "../dev/build/size.ts";
import { FUNCTIONS } from "../functions/registry.ts";

/** KiB minified and gzipped, per function and for the all-in-one worker. */
export async function bundleSizes(): Promise<Record<string, { minified: number; gzip: number }>> {
  const sizes = (await buildCloudflare(FUNCTIONS)).map(measure);
  return Object.fromEntries(
    sizes.map((size) => [size.name, { minified: size.bytes / 1024, gzip: size.gzipBytes / 1024 }]),
  );
}
