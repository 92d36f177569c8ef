import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

/**
 * Debian's headless Chromium driven over the DevTools protocol (its own websocket, no driver
 * library): a real browser engine renders the page, applies its CSP and draws its SVG.
 */
export interface Browser {
  /** Opens `url` with the given request headers and a viewport; resolves once it has loaded. */
  open(url: string, options: { headers?: Record<string, string>; width?: number }): Promise<Page>;
  close(): Promise<void>;
}

export interface Page {
  /** Runs `expression` in the page and returns its JSON value. */
  evaluate<T>(expression: string): Promise<T>;
  screenshot(): Promise<Buffer>;
  /** Messages the page wrote to its console (CSP violations land here). */
  console: string[];
}

type Message = { id?: number; method?: string; params?: any; result?: any; error?: unknown };

async function connect(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let next = 0;
  const pending = new Map<number, (m: Message) => void>();
  const listeners: ((m: Message) => void)[] = [];
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as Message;
    if (message.id !== undefined) pending.get(message.id)?.(message);
    else for (const listen of listeners) listen(message);
  };
  const send = (method: string, params: object = {}): Promise<any> =>
    new Promise((resolve, reject) => {
      const id = ++next;
      pending.set(id, (m) =>
        m.error ? reject(new Error(JSON.stringify(m.error))) : resolve(m.result),
      );
      socket.send(JSON.stringify({ id, method, params }));
    });
  const once = (method: string) =>
    new Promise<Message>((resolve) => listeners.push((m) => m.method === method && resolve(m)));
  return { send, once, listeners, close: () => socket.close() };
}

export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(`${tmpdir()}/breakwater-chromium-`);
  const child: ChildProcess = spawn(
    "chromium",
    [
      "--headless",
      "--no-sandbox", // tests may run as root, where Chromium's sandbox refuses to start
      "--disable-gpu",
      "--no-first-run",
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`Chromium did not start: ${output}`)), 20_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk;
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on("exit", (code) => reject(new Error(`Chromium exited (${code}): ${output}`)));
    child.on("error", (error) =>
      reject(
        new Error(`Debian's chromium is needed (apt-get install -y chromium): ${error.message}`),
      ),
    );
  });
  const http = endpoint.replace(/^ws:\/\/([^/]+)\/.*$/, "http://$1");
  return {
    async open(url, options) {
      const target = (await (
        await fetch(`${http}/json/new?about:blank`, { method: "PUT" })
      ).json()) as {
        webSocketDebuggerUrl: string;
      };
      const cdp = await connect(target.webSocketDebuggerUrl);
      const console: string[] = [];
      cdp.listeners.push((m) => {
        if (m.method === "Runtime.consoleAPICalled")
          console.push(m.params.args.map((a: { value?: unknown }) => a.value).join(" "));
        if (m.method === "Log.entryAdded") console.push(m.params.entry.text);
      });
      await Promise.all(
        ["Page.enable", "Network.enable", "Runtime.enable", "Log.enable"].map((m) => cdp.send(m)),
      );
      if (options.headers)
        await cdp.send("Network.setExtraHTTPHeaders", { headers: options.headers });
      const width = options.width ?? 1024;
      await cdp.send("Emulation.setDeviceMetricsOverride", {
        width,
        height: 900,
        deviceScaleFactor: 1,
        mobile: width < 600,
      });
      const loaded = cdp.once("Page.loadEventFired");
      await cdp.send("Page.navigate", { url });
      await loaded;
      return {
        console,
        async evaluate<T>(expression: string) {
          const { result, exceptionDetails } = await cdp.send("Runtime.evaluate", {
            expression,
            returnByValue: true,
          });
          if (exceptionDetails) throw new Error(JSON.stringify(exceptionDetails));
          return result.value as T;
        },
        async screenshot() {
          const { data } = await cdp.send("Page.captureScreenshot", {
            format: "png",
            captureBeyondViewport: true,
          });
          return Buffer.from(data, "base64");
        },
      };
    },
    async close() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill();
      await exited;
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
