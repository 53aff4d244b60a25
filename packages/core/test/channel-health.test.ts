import type { ChannelStatus, PlaceResult, RechargeChannel } from "@topup/channels";
import { classifyPlace, classifyStatus, MeasuredChannel } from "../src/channel-health";
import { CallTally, LATENCY_BOUNDS_MS, latencyBucket, latencyPercentile, type OrderVerdict } from "../src/health-window";
import type { CallResult } from "../src/circuit-breaker";

// What a call's result is (docs/channels.md), the decorator that records it, and the latency histogram.
describe("classifyPlace", () => {
  it.each<[PlaceResult, CallResult, OrderVerdict]>([
    [{ outcome: "placed", channelOrderNo: null }, "ok", null],
    [{ outcome: "held" }, "ok", null],
    // The channel answered in the protocol: it works; that one order failed (and fails over).
    [{ outcome: "refused", reason: "不支持的面值" }, "ok", "failed"],
    [{ outcome: "busy", reason: "HTTP 503" }, "error", null],
    [{ outcome: "unknown", detail: "timeout" }, "error", null],
  ])("%j is %s", (result, expected, verdict) => {
    expect(classifyPlace(result)).toEqual([expected, verdict]);
  });
});

describe("classifyStatus", () => {
  it.each<[ChannelStatus, CallResult, OrderVerdict]>([
    [{ state: "not_found" }, "ok", null],
    [{ state: "unpaid", channelOrderNo: null }, "ok", null],
    [{ state: "paying", channelOrderNo: "1" }, "ok", null],
    [{ state: "succeeded", channelOrderNo: "1" }, "ok", "succeeded"],
    [{ state: "failed", reason: "充值失败" }, "ok", "failed"],
    [{ state: "timed_out" }, "ok", "failed"],
    [{ state: "unknown", detail: "wrong sign" }, "error", null],
  ])("%j is %s", (status, expected, verdict) => {
    expect(classifyStatus(status)).toEqual([expected, verdict]);
  });
});

describe("MeasuredChannel", () => {
  const recorded: [string, CallResult, OrderVerdict, number][] = [];
  const sink = { record: (code: string, result: CallResult, verdict: OrderVerdict, ms: number) => void recorded.push([code, result, verdict, ms]) };
  const order = { serialNumber: "S1", orderType: 1, mobileType: 1, phoneNumber: "13900001234", faceValue: 1000, mobileOrderNo: null };
  beforeEach(() => (recorded.length = 0));

  it("answers what the client answers and records each call, timed", async () => {
    const inner: RechargeChannel = {
      code: "up1", kind: "upstream", stepDelayMs: 7,
      place: async () => ({ outcome: "refused", reason: "no" }),
      query: () => new Promise((resolve) => setTimeout(() => resolve({ state: "succeeded", channelOrderNo: "9" }), 20)),
    };
    const measured = new MeasuredChannel(inner, sink);
    expect([measured.code, measured.kind, measured.stepDelayMs]).toEqual(["up1", "upstream", 7]);
    expect(await measured.place(order)).toEqual({ outcome: "refused", reason: "no" });
    expect(await measured.query(order, "paying")).toEqual({ state: "succeeded", channelOrderNo: "9" });
    expect(recorded.map(([code, result, verdict]) => [code, result, verdict])).toEqual([["up1", "ok", "failed"], ["up1", "ok", "succeeded"]]);
    expect(recorded[1][3]).toBeGreaterThanOrEqual(15);
  });

  it("records a thrown error as an error and throws it on", async () => {
    const boom = new Error("socket hang up");
    const inner: RechargeChannel = { code: "up2", kind: "upstream", stepDelayMs: 0, place: async () => { throw boom; }, query: async () => { throw boom; } };
    const measured = new MeasuredChannel(inner, sink);
    await expect(measured.place(order)).rejects.toBe(boom);
    await expect(measured.query(order, "unpaid")).rejects.toBe(boom);
    expect(recorded.map(([, result]) => result)).toEqual(["error", "error"]);
  });

  it("has balance() and verifyNotification() only when the client has them, bound to it", async () => {
    const plain = new MeasuredChannel({ code: "s", kind: "simulator", stepDelayMs: 0, place: async () => ({ outcome: "held" }), query: async () => ({ state: "not_found" }) }, sink);
    expect(plain.balance).toBeUndefined();
    expect(plain.verifyNotification).toBeUndefined();
    const supplier = {
      code: "up3", kind: "upstream" as const, stepDelayMs: 0, funds: 4200,
      place: async () => ({ outcome: "held" as const }), query: async () => ({ state: "not_found" as const }),
      async balance() { return this.funds; },
      verifyNotification() { return null; },
    };
    const measured = new MeasuredChannel(supplier, sink);
    expect(await measured.balance!()).toBe(4200);
    expect(measured.verifyNotification!({})).toBeNull();
    expect(recorded).toEqual([]); // balance reads are not calls of the order path
  });
});

describe("CallTally", () => {
  it("counts calls, errors, order outcomes, and the runs at its end", () => {
    const tally = new CallTally();
    for (const r of ["error", "ok", "error", "error"] as const) tally.add(r, null, 5);
    expect(tally).toMatchObject({ calls: 4, errors: 3, trailingErrors: 2, trailingOks: 0 });
    tally.add("ok", "succeeded", 5);
    tally.add("ok", "failed", 5);
    expect(tally).toMatchObject({ calls: 6, errors: 3, succeeded: 1, failed: 1, trailingErrors: 0, trailingOks: 2, latencySumMs: 30 });
  });
});

describe("latency histogram", () => {
  it("puts each latency in the bucket below its upper bound, the rest in the last", () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.99)).toBe(0);
    expect(latencyBucket(1)).toBe(1);
    expect(latencyBucket(99.9)).toBe(LATENCY_BOUNDS_MS.indexOf(100));
    expect(latencyBucket(10_000_000)).toBe(LATENCY_BOUNDS_MS.length);
  });

  it("answers percentiles interpolated within a bucket, null without calls", () => {
    const histogram = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
    expect(latencyPercentile(histogram, 0.5)).toBeNull();
    histogram[latencyBucket(12)] = 10; // [10, 15)
    expect(latencyPercentile(histogram, 0.5)).toBe(12.5);
    expect(latencyPercentile(histogram, 1)).toBe(15);
    histogram[latencyBucket(120_000)] = 10; // the open bucket: its lower bound
    expect(latencyPercentile(histogram, 0.95)).toBe(60_000);
    expect(latencyPercentile(histogram, 0.25)).toBe(12.5);
  });
});
