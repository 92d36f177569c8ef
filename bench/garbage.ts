// Full garbage collections inside a running workerd process, through its inspector (the DevTools
// protocol), so that what the process's memory holds afterwards is what its isolates still use.
// workerd answers no HeapProfiler.collectGarbage; a heap snapshot collects first, so one is taken.

type Reply = { id?: number; result?: unknown; error?: { message: string } };

/** DevTools calls on `socketUrl`, one after another; their results (events meanwhile ignored). */
async function calls(socketUrl: string, methods: string[]): Promise<unknown[]> {
  const socket = new WebSocket(socketUrl);
  try {
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`inspector: cannot reach ${socketUrl}`));
    });
    const results: unknown[] = [];
    for (const [id, method] of methods.entries()) {
      results.push(
        await new Promise((resolve, reject) => {
          socket.onmessage = (event) => {
            const reply = JSON.parse(String(event.data)) as Reply;
            if (reply.id !== id) return;
            if (reply.error) reject(new Error(`inspector: ${method}: ${reply.error.message}`));
            else resolve(reply.result);
          };
          socket.send(JSON.stringify({ id, method }));
        }),
      );
    }
    return results;
  } finally {
    socket.close();
  }
}

/**
 * Collects the garbage of every isolate behind the inspector on `port`: the worker's own, and
 * those Miniflare runs beside it in the same process (its entry router, outbound fetches), whose
 * request and response objects hold native memory that V8 does not weigh when it decides to
 * collect. Returns the JavaScript heap they still use, in MiB.
 */
export async function collectGarbage(port: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as {
    webSocketDebuggerUrl: string;
  }[];
  let used = 0;
  for (const target of targets) {
    const [, usage] = await calls(target.webSocketDebuggerUrl, [
      "HeapProfiler.takeHeapSnapshot",
      "Runtime.getHeapUsage",
    ]);
    used += (usage as { usedSize: number }).usedSize;
  }
  return used / 2 ** 20;
}
