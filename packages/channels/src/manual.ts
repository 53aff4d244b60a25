import type { ChannelStatus, PlaceResult, RechargeChannel } from "./channel";

/**
 * Staff recharge by hand (for example at the carrier's web hall) and move the order with the admin
 * API's resolve (PROTOCOL §11, §12). Placing hands the order to them; there is nothing to ask.
 */
export class ManualChannel implements RechargeChannel {
  readonly kind = "manual";
  readonly stepDelayMs = 0;

  constructor(readonly code: string) {}

  async place(): Promise<PlaceResult> {
    return { outcome: "held" };
  }

  async query(): Promise<ChannelStatus> {
    return { state: "unknown", detail: "a manual channel is resolved by staff" };
  }
}
