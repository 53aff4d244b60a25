import type { OrderStatus } from "@topup/protocol";

/**
 * Domain records handed out by the repositories. Database BIGINT ids become strings (they are long
 * numeric identifiers: strings end to end; BigInt would also break JSON and job payloads); money
 * stays integer fen as safe JS numbers.
 */
export interface OperatorRecord {
  id: string;
  uid: string;
  name: string;
  md5key: string;
  rateBp: number;
  ipWhitelist: string[];
  enabled: boolean;
  strictCarrier: boolean;
  faceValues: number[];
  rateLimitPerSecond: number | null;
  /** The key before the last rotation and until when it still verifies signatures (null: none). Never shown. */
  previousMd5key: string | null;
  previousKeyUntil: Date | null;
  accountId: string;
  createdAt: Date;
  updatedAt: Date;
}

export type CallbackState = "none" | "pending" | "acked" | "failed";

export interface OrderRecord {
  id: string;
  serialNumber: string;
  operatorId: string;
  orderNo: string;
  orderType: number;
  mobileType: number;
  phoneNumber: string;
  faceValue: number;
  settlementRateBp: number;
  notifyUrl: string;
  status: OrderStatus;
  channel: string | null;
  mobileOrderNo: string | null;
  callbackState: CallbackState;
  callbackRound: number;
  clientIp: string | null;
  /** When fulfilment is due to look at the order next (null: nothing automatic left to do). */
  nextCheckAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface LedgerEntryRecord {
  id: string;
  accountId: string;
  kind: "order_income" | "manual";
  orderId: string | null;
  record: string;
  payMoney: number;
  income: number;
  expenditure: number;
  balanceAfter: number;
  createdAt: Date;
}

export interface OrderTransitionRecord {
  id: string;
  orderId: string;
  fromStatus: OrderStatus | null;
  toStatus: OrderStatus;
  reason: string | null;
  createdAt: Date;
}

export interface CallbackAttemptRecord {
  id: string;
  orderId: string;
  round: number;
  attemptNo: number;
  status: number;
  startedAt: Date;
  httpStatus: number | null;
  bodyExcerpt: string | null;
  latencyMs: number;
  error: string | null;
  remoteAddress: string | null;
  acknowledged: boolean;
}

export type ChannelKind = "simulator" | "manual" | "upstream";
export type CircuitState = "closed" | "open" | "half_open";

/** Where an upstream channel is reached and as whom; its md5key is not part of it (ChannelRepository.upstreamCredentials). */
export interface UpstreamConfig {
  baseUrl: string;
  uid: string;
}

export interface ChannelRecord {
  code: string;
  kind: ChannelKind;
  name: string;
  enabled: boolean;
  /** An upstream's config; null for the other kinds. */
  config: UpstreamConfig | null;
  /** Orders in flight at once; null: unlimited. */
  concurrency: number | null;
  costBp: number;
  /** The last balance the channel reported (fen), and when it was read; null until one was. */
  balance: number | null;
  balanceReadAt: Date | null;
  circuitState: CircuitState;
  circuitOpenedAt: Date | null;
  /** Errors (unknown outcomes) since the last call the channel answered in the protocol. */
  consecutiveFailures: number;
  /** Calls answered in the protocol since the last error (a half-open circuit's probation). */
  consecutiveSuccesses: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface RouteChannelEntry {
  code: string;
  tier: number;
  weight: number;
}

export interface RouteRecord {
  id: string;
  /** Each of uid, orderType, mobileType and faceValues narrows the route; null matches any. */
  uid: string | null;
  orderType: number | null;
  mobileType: number | null;
  faceValues: number[] | null;
  priority: number;
  enabled: boolean;
  holdMs: number;
  /** In the order they were given. */
  channels: RouteChannelEntry[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ChannelAttemptRecord {
  id: string;
  orderId: string;
  channelCode: string;
  attemptNo: number;
  outcome: string;
  answer: string | null;
  startedAt: Date;
  answeredAt: Date | null;
  finishedAt: Date | null;
  costFen: number | null;
}

export function idText(value: bigint | number | string): string {
  return typeof value === "string" ? value : value.toString();
}

/** "0042" and "42" name the same row; batched statements match returned rows to callers by this text. */
export function canonicalId(id: string): string {
  return /^[0-9]+$/.test(id) ? BigInt(id).toString() : id;
}

/**
 * A comparator ordering items by a numeric id given as text ("9" before "10"); text that is not an
 * id sorts after every id (the database refuses it later, for that item alone).
 */
export function byId<T>(idOf: (item: T) => string): (a: T, b: T) => number {
  // Each item's key is worked out once per sort, not at every comparison (sorts of batched statements).
  const keys = new Map<T, [number, string]>();
  const key = (item: T): [number, string] => {
    let known = keys.get(item);
    if (!known) {
      const id = canonicalId(idOf(item));
      known = /^[0-9]+$/.test(id) ? [id.length, id] : [Number.MAX_SAFE_INTEGER, id];
      keys.set(item, known);
    }
    return known;
  };
  return (a, b) => {
    const [lengthA, idA] = key(a);
    const [lengthB, idB] = key(b);
    return lengthA - lengthB || (idA < idB ? -1 : idA > idB ? 1 : 0);
  };
}

/** Money and counters: integers that must stay exact in a JS number. */
export function safeNumber(value: bigint | number | string): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`value ${value} is not a safe integer`);
  return n;
}
