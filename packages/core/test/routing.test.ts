import fc from "fast-check";
import { chooseChannel, DEFAULT_HOLD_MS, isEligible, routeFor, type ChannelStanding, type RoutingRoute } from "../src/routing";

// PROTOCOL §12: which route an order takes and which channel it is placed with next.
const order = { operatorId: "7", orderType: 1, mobileType: 2, faceValue: 1000 };
const route = (id: string, fields: Partial<RoutingRoute> = {}): RoutingRoute => ({
  id,
  operatorId: null,
  orderType: null,
  mobileType: null,
  faceValues: null,
  priority: 0,
  holdMs: 600_000,
  channels: [{ code: `c${id}`, tier: 0, weight: 1 }],
  ...fields,
});
const standing = (code: string, fields: Partial<ChannelStanding> = {}): ChannelStanding => ({
  code,
  enabled: true,
  circuit: "closed",
  inFlight: 0,
  concurrency: null,
  balance: null,
  ...fields,
});
const standings = (...list: ChannelStanding[]) => new Map(list.map((s) => [s.code, s]));

describe("routeFor", () => {
  it("takes a route only when every field it sets equals the order's", () => {
    expect(routeFor([route("1", { operatorId: "8" })], order, "")).toBeNull();
    expect(routeFor([route("1", { orderType: 2 })], order, "")).toBeNull();
    expect(routeFor([route("1", { mobileType: 1 })], order, "")).toBeNull();
    expect(routeFor([route("1", { faceValues: [500, 2000] })], order, "")).toBeNull();
    expect(routeFor([route("1", { operatorId: "7", orderType: 1, mobileType: 2, faceValues: [1000] })], order, "")?.id).toBe("1");
  });

  it("prefers the highest priority, then the most fields set, then the lowest id", () => {
    expect(routeFor([route("1"), route("2", { priority: 5 })], order, "")?.id).toBe("2");
    expect(routeFor([route("1"), route("2", { mobileType: 2 }), route("3", { mobileType: 2, orderType: 1 })], order, "")?.id).toBe("3");
    expect(routeFor([route("10"), route("9")], order, "")?.id).toBe("9"); // ids compared as numbers
    expect(routeFor([route("3", { priority: 1 }), route("2", { priority: 1, operatorId: "7" })], order, "")?.id).toBe("2");
  });

  it("falls back to DEFAULT_CHANNEL as a route of one channel, and to nothing without one", () => {
    expect(routeFor([route("1", { operatorId: "8" })], order, "simulator")).toMatchObject({
      id: "default",
      holdMs: DEFAULT_HOLD_MS,
      channels: [{ code: "simulator", tier: 0, weight: 1 }],
    });
    expect(routeFor([], order, "")).toBeNull();
  });
});

describe("isEligible", () => {
  it("needs the channel enabled, its circuit not open, a free slot and enough known balance", () => {
    expect(isEligible(standing("a"), 1000)).toBe(true);
    expect(isEligible(undefined, 1000)).toBe(false);
    expect(isEligible(standing("a", { enabled: false }), 1000)).toBe(false);
    expect(isEligible(standing("a", { circuit: "open" }), 1000)).toBe(false);
    expect(isEligible(standing("a", { circuit: "half_open" }), 1000)).toBe(true); // probation
    expect(isEligible(standing("a", { concurrency: 2, inFlight: 2 }), 1000)).toBe(false);
    expect(isEligible(standing("a", { concurrency: 2, inFlight: 1 }), 1000)).toBe(true);
    expect(isEligible(standing("a", { balance: 999 }), 1000)).toBe(false);
    expect(isEligible(standing("a", { balance: 1000 }), 1000)).toBe(true);
  });
});

describe("chooseChannel", () => {
  const tiered = route("1", {
    channels: [
      { code: "a", tier: 0, weight: 1 },
      { code: "b", tier: 0, weight: 3 },
      { code: "c", tier: 1, weight: 1 },
    ],
  });

  it("tries the lowest tier first, by weight at random among its eligible channels", () => {
    const all = standings(standing("a"), standing("b"), standing("c"));
    expect(chooseChannel(tiered, 1000, all, new Set(), () => 0.2)).toEqual({ code: "a" }); // 0.8 of 4
    expect(chooseChannel(tiered, 1000, all, new Set(), () => 0.3)).toEqual({ code: "b" }); // 1.2 of 4
    expect(chooseChannel(tiered, 1000, all, new Set(), () => 0.999)).toEqual({ code: "b" });
  });

  it("draws channels in proportion to their weights", () => {
    const all = standings(standing("a"), standing("b"), standing("c"));
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 4000; i++) counts[(chooseChannel(tiered, 1000, all, new Set(), random) as { code: string }).code]++;
    expect(counts.a / 4000).toBeGreaterThan(0.21);
    expect(counts.a / 4000).toBeLessThan(0.29);
  });

  it("skips channels already tried and ineligible ones, then moves to the next tier", () => {
    const all = standings(standing("a"), standing("b", { enabled: false }), standing("c"));
    expect(chooseChannel(tiered, 1000, all, new Set(["a"]))).toEqual({ code: "c" });
    expect(chooseChannel(tiered, 1000, all, new Set())).toEqual({ code: "a" });
  });

  it("waits while untried channels remain but none is eligible, and is exhausted once every one was tried", () => {
    const none = standings(standing("a", { circuit: "open" }), standing("b", { balance: 0 }), standing("c", { concurrency: 1, inFlight: 1 }));
    expect(chooseChannel(tiered, 1000, none, new Set())).toEqual({ wait: true });
    expect(chooseChannel(tiered, 1000, none, new Set(["a", "b", "c"]))).toEqual({ exhausted: true });
  });

  it("never picks a tried or ineligible channel, whatever the draw (property)", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.9999999, noNaN: true }), fc.subarray(["a", "b", "c"]), fc.subarray(["a", "b", "c"]), (draw, tried, disabled) => {
        const all = standings(...["a", "b", "c"].map((code) => standing(code, { enabled: !disabled.includes(code) })));
        const choice = chooseChannel(tiered, 1000, all, new Set(tried), () => draw);
        if ("code" in choice) {
          expect(tried).not.toContain(choice.code);
          expect(disabled).not.toContain(choice.code);
        } else if ("exhausted" in choice) {
          expect(tried).toHaveLength(3);
        } else {
          expect(["a", "b", "c"].every((code) => tried.includes(code) || disabled.includes(code))).toBe(true);
        }
      }),
    );
  });
});
