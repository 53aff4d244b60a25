/**
 * The contract every recharge channel (网厅 / supplier) implements. Two rules keep money safe:
 * - `place` is idempotent on the platform's serial number: placing the same order twice (after a
 *   crash, a replayed job) never recharges twice; the channel answers with the order it already has.
 * - an ambiguous answer is `unknown`, never `refused`/`failed`: the platform then asks (`query`)
 *   until it knows, and never fails over or returns an order whose outcome it does not know.
 */
export interface ChannelOrder {
  serialNumber: string;
  orderType: number;
  mobileType: number;
  phoneNumber: string;
  faceValue: number;
  mobileOrderNo: string | null;
}

export type PlaceResult =
  | { outcome: "placed"; channelOrderNo: string }
  /** Definitive: the channel took nothing (no money moved). */
  | { outcome: "refused"; reason: string }
  | { outcome: "unknown"; detail: string };

/** What the platform last saw of a placed order; real channels may ignore it. */
export type LastSeen = "unpaid" | "paying";

export type ChannelStatus =
  | { state: "not_found" }
  | { state: "unpaid"; channelOrderNo: string }
  | { state: "paying"; channelOrderNo: string }
  | { state: "succeeded"; channelOrderNo: string }
  | { state: "failed"; reason: string }
  /** Not paid within the order's time limit: returned, no money moved. */
  | { state: "timed_out" }
  | { state: "unknown"; detail: string };

export interface RechargeChannel {
  /** Stored on the order while the channel holds it. */
  readonly code: string;
  /** How long after a step that changed the order the platform looks again. */
  readonly stepDelayMs: number;
  place(order: ChannelOrder): Promise<PlaceResult>;
  query(order: ChannelOrder, lastSeen: LastSeen): Promise<ChannelStatus>;
}
