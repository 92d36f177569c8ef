import { expect, test } from "vitest";
import { BoundedMap } from "../../../shared/bounded-map.ts";

test("in-isolate state is bounded: the least recently written entry goes first", () => {
  const map = new BoundedMap<string, number>(2);
  map.set("a", 1);
  map.set("b", 1);
  map.set("a", 2); // rewritten: now the most recent
  map.set("c", 1);
  expect([...map.entries()]).toEqual([
    ["a", 2],
    ["c", 1],
  ]);
});
