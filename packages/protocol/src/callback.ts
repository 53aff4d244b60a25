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

/**
 * HTTP 2xx and a body of `ok` (the document) or `success` (the market's other common token),
 * trimmed, ASCII case-insensitive. The regex without the `u` flag never folds non-ASCII letters
 * (such as the Kelvin sign) onto ASCII ones.
 */
export function isCallbackAck(httpStatus: number, body: string): boolean {
  return Number.isInteger(httpStatus) && httpStatus >= 200 && httpStatus <= 299 && /^(?:ok|success)$/i.test(body.trim());
}
