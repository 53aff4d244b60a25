/**
 * The contract every recharge channel (网厅 / supplier, PROTOCOL §12) implements. Two rules keep money safe:
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

export type ChannelKind = "simulator" | "manual" | "upstream";

/** What the channel answered, as stored with the order's channel attempt (at most 1 KiB). */
export interface SupplierAnswer {
  answer?: string;
}

export type PlaceResult = (
  | /** The channel has the order; its own order number may come later (upstream: with its status). */
  { outcome: "placed"; channelOrderNo: string | null }
  /** Definitive: the channel took nothing (no money moved): the order may go to the next channel. */
  | { outcome: "refused"; reason: string }
  /** Not stored, try the same channel again later (HTTP 503, 429). */
  | { outcome: "busy"; reason: string }
  /** Staff fulfil it by hand (manual channel): the order waits at 6 for an administrator. */
  | { outcome: "held" }
  | { outcome: "unknown"; detail: string }
) &
  SupplierAnswer;

/** What the platform last saw of a placed order; real channels may ignore it. */
export type LastSeen = "unpaid" | "paying";

export type ChannelStatus = (
  | /** The channel has no such order: the push never arrived, push again to the same channel. */
  { state: "not_found" }
  | { state: "unpaid"; channelOrderNo: string | null }
  | { state: "paying"; channelOrderNo: string | null }
  | { state: "succeeded"; channelOrderNo: string }
  /** Definitive failure: no money moved, the order may go to the next channel. */
  | { state: "failed"; reason: string }
  /** Not paid within the order's time limit: returned, no money moved. */
  | { state: "timed_out" }
  | { state: "unknown"; detail: string }
) &
  SupplierAnswer;

/**
 * A supplier's callback (PROTOCOL §12), its sign verified: which order (our serial number), the
 * number and face value it names (a mismatch with the order is a forgery), and what it says.
 */
export interface ChannelNotification {
  serialNumber: string;
  phoneNumber: string;
  faceValue: number;
  status: ChannelStatus;
}

export interface RechargeChannel {
  /** Stored on the order while the channel holds it. */
  readonly code: string;
  readonly kind: ChannelKind;
  /** How long after a step that changed the order the platform looks again. */
  readonly stepDelayMs: number;
  place(order: ChannelOrder): Promise<PlaceResult>;
  query(order: ChannelOrder, lastSeen: LastSeen): Promise<ChannelStatus>;
  /**
   * A supplier's callback: its sign checked with the channel's key. Null when it is not this
   * channel's (wrong uid, wrong or missing sign, malformed): nothing may change then.
   */
  verifyNotification?(fields: Readonly<Record<string, string>>): ChannelNotification | null;
  /** The balance this platform holds with the supplier, in fen; null when it cannot be known now. */
  balance?(): Promise<number | null>;
}
