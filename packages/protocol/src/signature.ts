/**
 * Signatures of PROTOCOL §3: MD5 over the UTF-8 bytes of a plain concatenation, lowercase hex
 * (the document's `DigestUtils.md5Hex(...).toLowerCase()`). Ints enter as canonical decimal text.
 */
import { hash, timingSafeEqual } from "node:crypto";
import { assertNonNegativeSafeInteger } from "./integers";

export function md5Hex(text: string): string {
  // One-shot: no Hash object per signature (a string is hashed as its UTF-8 bytes).
  return hash("md5", text, "hex");
}

export function orderPushSign(
  p: { uid: string; orderNo: string; phoneNumber: string; faceValue: number },
  key: string,
): string {
  assertNonNegativeSafeInteger("faceValue", p.faceValue);
  return md5Hex(p.uid + p.orderNo + p.phoneNumber + String(p.faceValue) + key);
}

export function callbackSign(
  p: { uid: string; orderNo: string; phoneNumber: string; faceValue: number; status: number },
  key: string,
): string {
  assertNonNegativeSafeInteger("faceValue", p.faceValue);
  assertNonNegativeSafeInteger("status", p.status);
  return md5Hex(p.uid + p.orderNo + p.phoneNumber + String(p.faceValue) + String(p.status) + key);
}

export function balanceQuerySign(uid: string, key: string): string {
  return md5Hex(uid + key);
}

export function orderQuerySign(uid: string, orderNo: string, key: string): string {
  return md5Hex(uid + orderNo + key);
}

/** Query responses sign the exact `data` string they carry. */
export function responseDataSign(data: string, key: string): string {
  return md5Hex(data + key);
}

/**
 * Case-insensitive comparison of a sign the operator sent with the one we computed, in constant
 * time so response timing does not reveal how many leading characters were right.
 */
export function signMatches(expected: string, given: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), "utf8");
  const b = Buffer.from(given.toLowerCase(), "utf8");
  if (a.length !== b.length) {
    // Still do the work of one comparison; only the (public) length is revealed.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}
