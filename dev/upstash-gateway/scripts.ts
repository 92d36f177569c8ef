import { forRedis, scriptSha } from "./lua.ts";

/** One argument of a Redis command: text from JSON, or raw bytes from a path-style POST body. */
export type Arg = string | Buffer;

/** A command name followed by its arguments. */
export type CommandArgs = [string, ...Arg[]];

/** A script the gateway had to rewrite before Redis would accept it. */
export interface RewrittenScript {
  /** The text Redis runs. */
  text: string;
  /** Redis's name for `text`, which differs from the SHA1 the client computed. */
  redisSha: string;
}

/**
 * Scripts the gateway rewrote, by the SHA1 the client computed over the original text, so that
 * EVALSHA with the client's SHA keeps working (ratelimit even hard-codes those SHAs). Entries
 * are never dropped: after SCRIPT FLUSH or a Redis restart they are what lets the gateway load
 * a script again. The set is bounded by the scripts a program contains.
 */
export class ScriptRegistry {
  #byClientSha = new Map<string, RewrittenScript>();

  /** The text to send to Redis instead of `script`; remembers it when the two differ. */
  adapt(script: string): string {
    const text = forRedis(script);
    if (text !== script) {
      this.#byClientSha.set(scriptSha(script), { text, redisSha: scriptSha(text) });
    }
    return text;
  }

  /** The rewritten script a client SHA stands for, if the gateway rewrote it. */
  lookup(clientSha: Arg): RewrittenScript | undefined {
    return this.#byClientSha.get(String(clientSha).toLowerCase());
  }
}
