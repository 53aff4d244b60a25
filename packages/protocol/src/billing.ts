/**
 * Ledger arithmetic of PROTOCOL §8.
 */
import { assertNonNegativeSafeInteger, assertSafeInteger } from "./integers";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Asia/Shanghai is UTC+8 all year (no DST since 1991), so a fixed offset is exact. */
const SHANGHAI_OFFSET_MS = 8 * HOUR_MS;

/** 00:00 Asia/Shanghai of the day containing `epochMs` (the balance answer's `billingDate`). */
export function shanghaiMidnight(epochMs: number): number {
  assertSafeInteger("epochMs", epochMs);
  const local = epochMs + SHANGHAI_OFFSET_MS;
  return local - mod(local, DAY_MS) - SHANGHAI_OFFSET_MS;
}

/**
 * The `income` of an order's 订单收款 entry: floor(face_value × rateBp / 10000), in integer
 * arithmetic (BigInt) so no product is ever rounded (9900 bp turns payMoney 1200 into 1188).
 */
export function settlementIncome(faceValue: number, rateBp: number): number {
  assertNonNegativeSafeInteger("faceValue", faceValue);
  assertNonNegativeSafeInteger("rateBp", rateBp);
  return Number((BigInt(faceValue) * BigInt(rateBp)) / 10_000n);
}

function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
