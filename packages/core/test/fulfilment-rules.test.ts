import { canTransition, OrderStatus } from "@topup/protocol";
import type { ChannelStatus } from "@topup/channels";
import { nextStatus, pollDelayMs } from "../src";

// The mapping from channel answers to platform statuses must never propose a move the state machine refuses.
const answers: ChannelStatus[] = [
  { state: "not_found" },
  { state: "unpaid", channelOrderNo: "1" },
  { state: "paying", channelOrderNo: "1" },
  { state: "succeeded", channelOrderNo: "1" },
  { state: "failed", reason: "x" },
  { state: "timed_out" },
  { state: "unknown", detail: "x" },
];

describe("nextStatus", () => {
  it.each([OrderStatus.Unpaid, OrderStatus.Paying])("from %s proposes only allowed transitions", (current) => {
    for (const answer of answers) {
      const next = nextStatus(current, answer);
      if (next !== null) expect(canTransition(current, next)).toBe(true);
    }
  });

  it("never acts on an unknown or missing answer (no failover on an ambiguous outcome)", () => {
    for (const current of [OrderStatus.Unpaid, OrderStatus.Paying]) {
      expect(nextStatus(current, { state: "unknown", detail: "timeout" })).toBeNull();
      expect(nextStatus(current, { state: "not_found" })).toBeNull();
    }
  });

  it("passes through 2 on the way from 0 to 4", () => {
    expect(nextStatus(OrderStatus.Unpaid, { state: "succeeded", channelOrderNo: "1" })).toBe(OrderStatus.Paying);
    expect(nextStatus(OrderStatus.Paying, { state: "succeeded", channelOrderNo: "1" })).toBe(OrderStatus.Succeeded);
  });

  it("maps failure to 10 and non-payment to 1", () => {
    expect(nextStatus(OrderStatus.Unpaid, { state: "failed", reason: "x" })).toBe(OrderStatus.Failed);
    expect(nextStatus(OrderStatus.Paying, { state: "failed", reason: "x" })).toBe(OrderStatus.Failed);
    expect(nextStatus(OrderStatus.Unpaid, { state: "timed_out" })).toBe(OrderStatus.TimedOut);
    expect(nextStatus(OrderStatus.Paying, { state: "timed_out" })).toBeNull();
  });
});

describe("pollDelayMs", () => {
  it("grows from at least 1 s and is capped at 60 s", () => {
    expect(pollDelayMs(0, 0)).toBe(1_000);
    expect(pollDelayMs(200, 1)).toBe(2_000);
    expect(pollDelayMs(5_000, 0)).toBe(5_000);
    expect(pollDelayMs(200, 100)).toBe(60_000);
  });
});
