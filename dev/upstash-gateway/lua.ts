import { createHash } from "node:crypto";

/**
 * Shebang flags that Upstash accepts and Redis 7 rejects with "Unexpected flag in script shebang".
 * `@upstash/ratelimit` ≥ 2.1 marks all its scripts with `allow-key-locking`.
 */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

/** SHA1 (hex) of a script's UTF-8 bytes: the name Redis and the Upstash clients give it. */
export function scriptSha(script: string): string {
  return createHash("sha1").update(script, "utf8").digest("hex");
}

/**
 * The script as Redis 7 will run it: Upstash-only flags are dropped from the `#!lua` line and
 * everything else is kept byte for byte. The shebang line itself stays, so Redis still treats it
 * as a flagged script and the line numbers in its error messages still match the client's text.
 */
export function forRedis(script: string): string {
  if (!script.startsWith("#!")) return script;
  const lineEnd = /\r?\n/.exec(script)?.index ?? script.length;
  const shebang = script.slice(0, lineEnd).split(" ");
  const kept = shebang.flatMap((part) => {
    if (!part.startsWith("flags=")) return [part];
    const flags = part
      .slice("flags=".length)
      .split(",")
      .filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
    return flags.length > 0 ? [`flags=${flags.join(",")}`] : [];
  });
  return kept.join(" ") + script.slice(lineEnd);
}
