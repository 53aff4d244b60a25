/**
 * The platform → operator callback of PROTOCOL §7: its form body and what counts as acknowledged.
 */
import { assertNonNegativeSafeInteger } from "./integers";
import { callbackSign } from "./signature";

export interface CallbackFields {
  uid: string;
  orderNo: string;
  mobileOrderNo: string | null;
  phoneNumber: string;
  faceValue: number;
  status: 4 | 9 | 10;
}

/** An `application/x-www-form-urlencoded` body, fields in the document's order. */
export function callbackForm(p: CallbackFields, key: string): string {
  assertNonNegativeSafeInteger("faceValue", p.faceValue);
  return new URLSearchParams([
    ["uid", p.uid],
    ["order_no", p.orderNo],
    ["mobile_order_no", p.mobileOrderNo ?? ""],
    ["phone_number", p.phoneNumber],
    ["face_value", String(p.faceValue)],
    ["status", String(p.status)],
    ["sign", callbackSign(p, key)],
  ]).toString();
}

/** The document: "回调失败会连续请求 3 次，3 次后不再继续请求" — three attempts in all. */
export const CALLBACK_ATTEMPTS = 3;

/** One attempt, connect to the last byte of the answer, ends within this (PROTOCOL §7). */
export const CALLBACK_TIMEOUT_MS = 10_000;

/**
 * By when the next attempt of a callback round will have ended, when the work for it is alive:
 * the first attempt starts at once, attempt n+1 starts `backoffMs × 2^(n−1)` after attempt n
 * failed, and each lasts at most CALLBACK_TIMEOUT_MS. A round still open past this has lost its
 * work (the reconciler's test, orders.next_check_at).
 */
export function callbackRoundDueBy(at: Date, attemptsMade: number, backoffMs: number): Date {
  const backoff = attemptsMade === 0 ? 0 : backoffMs * 2 ** (attemptsMade - 1);
  return new Date(at.getTime() + backoff + CALLBACK_TIMEOUT_MS);
}

/**
 * HTTP 2xx and a body of `ok` (the document) or `success` (the market's other common token),
 * trimmed, ASCII case-insensitive. The regex without the `u` flag never folds non-ASCII letters
 * (such as the Kelvin sign) onto ASCII ones.
 */
export function isCallbackAck(httpStatus: number, body: string): boolean {
  return Number.isInteger(httpStatus) && httpStatus >= 200 && httpStatus <= 299 && /^(?:ok|success)$/i.test(body.trim());
}
