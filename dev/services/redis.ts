import { connect } from "node:net";
import { redisServerBinary } from "./binaries.ts";
import { freePort, waitFor } from "./ports.ts";
import { type ManagedProcess, startProcess } from "./process.ts";

/** A private redis-server on a loopback port, with nothing persisted. */
export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), empty. */
  start(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.setTimeout(500, () => socket.destroy());
    socket.once("error", () => resolve(false));
    socket.once("close", () => resolve(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => {
      resolve(data.toString().startsWith("+PONG"));
      socket.destroy();
    });
  });
}

export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const redisServer = redisServerBinary();
  const port = options.port ?? (await freePort());
  let proc: ManagedProcess | undefined;
  const start = async () => {
    proc = startProcess(redisServer, [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
    ]);
    await waitFor(`redis-server on port ${port}`, () => ping(port)).catch((error: Error) => {
      throw new Error(`${error.message}\n${proc?.output()}`);
    });
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop: async () => proc?.stop(),
  };
}
