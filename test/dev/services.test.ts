import { inject, test, expect } from "vitest";
import pg from "pg";
import { connect } from "node:net";

test("the run's PostgreSQL accepts connections", async () => {
  const client = new pg.Client(inject("postgresAdminUrl"));
  await client.connect();
  const { rows } = await client.query("select 1 as one");
  await client.end();
  expect(rows).toEqual([{ one: 1 }]);
});

test("the run's redis-server answers PING", async () => {
  const port = Number(new URL(inject("redisUrl")).port);
  const reply = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    socket.once("data", (d) => (resolve(d.toString()), socket.destroy()));
    socket.once("error", reject);
  });
  expect(reply).toBe("+PONG\r\n");
});
