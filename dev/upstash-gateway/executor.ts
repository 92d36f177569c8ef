import type { Redis } from "ioredis";
import { type Prepared, prepare } from "./commands.ts";
import { GatewayError, isReplyError, unreachable } from "./errors.ts";
import type { CommandArgs, RewrittenScript, ScriptRegistry } from "./scripts.ts";

/** What one command produced: Redis's raw reply (Buffers for strings) or its error message. */
export type Outcome = { result: unknown } | { error: string };

const settle = (prepared: Prepared, reply: unknown) =>
  prepared.reply ? prepared.reply(reply) : reply;

const isNoScript = (error: unknown) => isReplyError(error) && error.message.startsWith("NOSCRIPT");

/** Runs client commands on one shared ioredis connection, translating scripts on the way. */
export class Executor {
  readonly #redis: Redis;
  readonly #scripts: ScriptRegistry;

  constructor(redis: Redis, scripts: ScriptRegistry) {
    this.#redis = redis;
    this.#scripts = scripts;
  }

  /** One command. A Redis error reply is an outcome; an unreachable Redis throws a 503. */
  async command(command: CommandArgs): Promise<Outcome> {
    const prepared = prepare(command, this.#scripts);
    if ("error" in prepared) return prepared;
    try {
      return { result: settle(prepared, await this.#sendReloading(prepared)) };
    } catch (error) {
      if (isReplyError(error)) return { error: error.message };
      throw error;
    }
  }

  /**
   * Independent commands, written in order in one go. A command retried after NOSCRIPT runs
   * after the ones behind it, which a non-atomic pipeline allows.
   */
  pipeline(commands: CommandArgs[]): Promise<Outcome[]> {
    return Promise.all(commands.map((command) => this.command(command)));
  }

  /**
   * Commands inside MULTI/EXEC. A command failing while EXEC runs is an error outcome and the
   * rest still apply, as in Redis; a command that cannot be queued (unknown, wrong arity,
   * refused) discards the whole transaction with a 400, as Upstash documents.
   */
  async transaction(commands: CommandArgs[]): Promise<Outcome[]> {
    const prepared: Prepared[] = [];
    for (const command of commands) {
      const one = prepare(command, this.#scripts);
      if ("error" in one) throw new GatewayError(400, one.error);
      prepared.push(one);
    }
    // EVALSHA cannot be retried inside EXEC, so the rewritten scripts it names are loaded first.
    const scripts = new Set(prepared.flatMap(({ script }) => (script ? [script] : [])));
    await Promise.all([...scripts].map((script) => this.#load(script)));
    // Written within this one tick on the one connection: no other request's command can land
    // between MULTI and EXEC.
    const replies = await Promise.allSettled([
      this.#send(["MULTI"]),
      ...prepared.map(({ args }) => this.#send(args)),
      this.#send(["EXEC"]),
    ]);
    const failed = replies.find((reply) => reply.status === "rejected");
    if (failed) {
      throw isReplyError(failed.reason)
        ? new GatewayError(400, failed.reason.message)
        : failed.reason;
    }
    const exec = replies.at(-1);
    const results: unknown = exec?.status === "fulfilled" ? exec.value : undefined;
    if (!Array.isArray(results)) throw new Error(`EXEC answered ${String(results)}`);
    return prepared.map((one, i): Outcome => {
      const reply: unknown = results[i];
      return isReplyError(reply) ? { error: reply.message } : { result: settle(one, reply) };
    });
  }

  /** Sends a command now (synchronously written); Redis errors stay, anything else is a 503. */
  #send(args: CommandArgs): Promise<unknown> {
    return this.#redis.callBuffer(...args).catch((error: unknown) => {
      throw isReplyError(error) ? error : unreachable(error);
    });
  }

  async #sendReloading({ args, script }: Prepared): Promise<unknown> {
    try {
      return await this.#send(args);
    } catch (error) {
      // SCRIPT FLUSH or a Redis restart dropped a script the client believes is loaded.
      if (!script || !isNoScript(error)) throw error;
      await this.#load(script);
      return this.#send(args);
    }
  }

  #load(script: RewrittenScript): Promise<unknown> {
    return this.#send(["SCRIPT", "LOAD", script.text]);
  }
}
