import { createServer } from "node:http";

/** A local upstream that fails on command and counts the calls that reach it. */
export async function startUpstream() {
  let failing = false;
  let hits = 0;
  const onHit: (() => void)[] = [];
  const server = createServer((_req, res) => {
    hits++;
    for (const listener of onHit) listener();
    res.writeHead(failing ? 503 : 200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("upstream has no port");
  return {
    url: `http://127.0.0.1:${address.port}/`,
    hits: () => hits,
    fail: (on: boolean) => void (failing = on),
    /** Called at each hit, while the request is still in flight. */
    onHit: (listener: () => void) => void onHit.push(listener),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
