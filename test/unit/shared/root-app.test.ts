import { Hono } from "hono";
import { expect, test } from "vitest";
import { createAllFunctionsApp } from "../../../functions/index.ts";
import { createRootApp } from "../../../shared/http/app.ts";

test("every function's routes fit the one-regex router, mounted together", () => {
  expect(() => createAllFunctionsApp()).not.toThrow();
});

test("a route the router cannot hold fails at start-up, not on a request", () => {
  const fnApp = new Hono();
  fnApp.get("/things/latest", (c) => c.text("latest"));
  fnApp.get("/things/:id", (c) => c.text("one"));
  expect(() => createRootApp({ name: "test", apps: [fnApp] })).toThrow(/things/);
});
