// Each function's Cloudflare bundle, built as `npm run build` builds it (wrangler deploy
// --dry-run), measured as its size report measures it.
import type { Artifact } from "../dev/build/layout.ts";
import { measure } from "../dev/build/size.ts";

/** KiB minified and gzipped, per function and for the all-in-one worker. */
export function bundleSizes(
  artifacts: readonly Artifact[],
): Record<string, { minified: number; gzip: number }> {
  const sizes = artifacts.map(measure);
  return Object.fromEntries(
    sizes.map((size) => [size.name, { minified: size.bytes / 1024, gzip: size.gzipBytes / 1024 }]),
  );
}
