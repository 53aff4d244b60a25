import { memoized } from "../src/memo";

it("answers a repeated input from memory, and stays bounded by emptying itself when full", () => {
  const calls: string[] = [];
  const length = memoized((text: string) => {
    calls.push(text);
    return text.length;
  }, 2);
  expect([length("a"), length("bb"), length("a"), length("bb")]).toEqual([1, 2, 1, 2]);
  expect(calls).toEqual(["a", "bb"]);
  expect(length("ccc")).toBe(3); // full: forgets the others
  expect(length("a")).toBe(1);
  expect(calls).toEqual(["a", "bb", "ccc", "a"]);
});

it("remembers null answers too", () => {
  let calls = 0;
  const none = memoized(() => {
    calls++;
    return null;
  }, 10);
  expect([none("x"), none("x")]).toEqual([null, null]);
  expect(calls).toBe(1);
});
