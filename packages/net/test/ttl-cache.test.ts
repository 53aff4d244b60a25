import { TtlCache } from "../src/ttl-cache";

describe("TtlCache", () => {
  it("expires entries after their ttl", () => {
    let now = 1_000;
    const cache = new TtlCache<string, number>(10, () => now);
    cache.set("a", 1, 100);
    expect(cache.get("a")).toBe(1);
    now += 99;
    expect(cache.get("a")).toBe(1);
    now += 1;
    expect(cache.get("a")).toBeUndefined();
  });

  it("stays within its bound, evicting the oldest", () => {
    const cache = new TtlCache<number, number>(3);
    for (let i = 0; i < 10; i++) cache.set(i, i, 60_000);
    expect(cache.size).toBe(3);
    expect(cache.get(6)).toBeUndefined();
    expect([7, 8, 9].map((k) => cache.get(k))).toEqual([7, 8, 9]);
  });
});
