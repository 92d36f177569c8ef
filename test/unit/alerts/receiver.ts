import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A chat webhook receiver on 127.0.0.1 (Slack's incoming webhooks answer 200 "ok"): it keeps
 * every JSON body it gets, and can be told to fail (500) or to hang.
 */
export async function startAlertReceiver() {
  const bodies: any[] = [];
  let mode: "ok" | "fail" | "hang" = "ok";
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      if (mode === "hang") return; // never answers
      res.writeHead(mode === "ok" ? 200 : 500, { "content-type": "text/plain" });
      res.end(mode === "ok" ? "ok" : "internal_error");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alerts`,
    bodies,
    answer(next: typeof mode) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
