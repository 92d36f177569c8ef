import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { gzipSync } from "node:zlib";
import { ALL_IN_ONE } from "./cloudflare.ts";
import { type Artifact, type Platform, ROOT } from "./layout.ts";

/** Each function's bundle, gzipped, on Cloudflare: the budget the build test enforces. */
export const GZIP_BUDGET_BYTES = 64 * 1024;

/**
 * Larger budgets, by function: the AI proxy carries three inbound APIs and their translations
 * both ways for three providers.
 */
export const GZIP_BUDGET_OVERRIDES: Readonly<Record<string, number>> = { "ai-proxy": 96 * 1024 };

export const budgetOf = (name: string) => GZIP_BUDGET_OVERRIDES[name] ?? GZIP_BUDGET_BYTES;

export interface Size {
  platform: Platform;
  name: string;
  /** The bundle, relative to the repository root. */
  file: string;
  /** The minified bundle as deployed. */
  bytes: number;
  /** Gzipped as wrangler measures it (zlib's default level). */
  gzipBytes: number;
}

export function measure(artifact: Artifact): Size {
  const content = readFileSync(artifact.file);
  return {
    platform: artifact.platform,
    name: artifact.name,
    file: relative(ROOT, artifact.file),
    bytes: content.byteLength,
    gzipBytes: gzipSync(content).byteLength,
  };
}

/** Whether `size` is a function's Cloudflare bundle over budget (the all-in-one worker has none). */
export function overBudget(size: Size): boolean {
  return (
    size.platform === "cloudflare" &&
    size.name !== ALL_IN_ONE &&
    size.gzipBytes > budgetOf(size.name)
  );
}

const kib = (bytes: number) => (bytes / 1024).toFixed(1);

/** A Markdown table: one row per function, minified / gzip KiB per platform. */
export function sizeTable(sizes: readonly Size[]): string {
  const platforms = [...new Set(sizes.map((size) => size.platform))];
  const names = [...new Set(sizes.map((size) => size.name))];
  const cell = (name: string, platform: Platform) => {
    const size = sizes.find((s) => s.name === name && s.platform === platform);
    if (!size) return "–";
    return `${kib(size.bytes)} / ${kib(size.gzipBytes)}${overBudget(size) ? " over budget" : ""}`;
  };
  return [
    `| function | ${platforms.map((p) => `${p} KiB (min / gzip)`).join(" | ")} |`,
    `| --- | ${platforms.map(() => "---:").join(" | ")} |`,
    ...names.map((name) => `| ${name} | ${platforms.map((p) => cell(name, p)).join(" | ")} |`),
  ].join("\n");
}
