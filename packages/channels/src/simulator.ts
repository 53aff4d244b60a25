import { createHash } from "node:crypto";
import type { ChannelOrder, ChannelStatus, LastSeen, PlaceResult, RechargeChannel } from "./channel";

/**
 * The built-in sandbox channel (PROTOCOL §10). The last four digits of the number choose the script:
 *   …0010  placed, then refused          → 6, 0, 10
 *   …0009  placed, never paid            → 6, 0, 1, 9
 *   …0002  payment in progress forever   → 6, 0, 2 (until an administrator resolves it)
 *   other  paid                          → 6, 0, 2, 4
 * It holds no state: each query advances the script one step past what the platform last saw, so
 * any number of worker processes can share it. Its order number is derived from the serial number,
 * which makes `place` idempotent as the contract requires.
 */
export class SimulatorChannel implements RechargeChannel {
  readonly code = "simulator";
  readonly kind = "simulator";

  constructor(readonly stepDelayMs: number) {}

  async place(order: ChannelOrder): Promise<PlaceResult> {
    return { outcome: "placed", channelOrderNo: simulatorOrderNo(order.serialNumber) };
  }

  async query(order: ChannelOrder, lastSeen: LastSeen): Promise<ChannelStatus> {
    const channelOrderNo = order.mobileOrderNo ?? simulatorOrderNo(order.serialNumber);
    switch (order.phoneNumber.slice(-4)) {
      case "0010":
        return { state: "failed", reason: "simulator: recharge refused" };
      case "0009":
        return { state: "timed_out" };
      case "0002":
        return { state: "paying", channelOrderNo };
      default:
        return lastSeen === "unpaid" ? { state: "paying", channelOrderNo } : { state: "succeeded", channelOrderNo };
    }
  }
}

/** 18 digits, first one non-zero, stable for a serial number. */
export function simulatorOrderNo(serialNumber: string): string {
  const digest = BigInt(`0x${createHash("sha256").update(`simulator:${serialNumber}`).digest("hex").slice(0, 30)}`);
  return (100_000_000_000_000_000n + (digest % 900_000_000_000_000_000n)).toString();
}
