/**
 * Field rules of PROTOCOL §2, checked in the §5 order: first every required field is present
 * (the first missing one in the document's field order is reported), then every format (the
 * first malformed one in field order). Values come out in the exact text they sign with.
 */
import type { FieldValue, RequestFields } from "./body";
import { memoized } from "./memo";
import { Msg } from "./messages";

export type Validation<T> = { ok: true; value: T } | { ok: false; msg: string };

export interface OrderPushRequest {
  uid: string;
  orderNo: string;
  orderType: number;
  mobileType: number;
  phoneNumber: string;
  faceValue: number;
  notifyUrl: string;
  sign: string;
}

export interface BalanceQueryRequest {
  uid: string;
  sign: string;
}

export interface OrderQueryRequest {
  uid: string;
  orderNo: string;
  sign: string;
}

/** How a field's wire value becomes text, and what that text must look like. */
interface FieldRule {
  /** "text": a JSON string, or a JSON integer literal kept as its digits; "int": canonical decimal. */
  readonly kind: "text" | "int";
  readonly accepts: (text: string) => boolean;
}

const CANONICAL_INT = /^[1-9][0-9]*$/;
const DIGITS = /^[0-9]+$/;
const MAX_NOTIFY_URL_CHARS = 512;

const text = (pattern: RegExp): FieldRule => ({ kind: "text", accepts: (s) => pattern.test(s) });
const intIn = (allowed: readonly string[]): FieldRule => ({ kind: "int", accepts: (s) => allowed.includes(s) });

const FIELD_RULES = {
  uid: text(/^[0-9A-Za-z_-]{1,32}$/),
  order_no: text(/^[0-9A-Za-z_-]{1,64}$/),
  order_type: intIn(["1", "2", "3", "4"]),
  mobile_type: intIn(["1", "2", "3"]),
  phone_number: text(/^1[3-9][0-9]{9}$/),
  // At most 15 digits keeps every value a safe integer; the catalogue narrows it later.
  face_value: { kind: "int", accepts: (s) => s.length <= 15 } as FieldRule,
  notify_url: { kind: "text", accepts: isNotifyUrl } as FieldRule,
  sign: text(/^[0-9a-fA-F]{32}$/),
} satisfies Record<string, FieldRule>;

type FieldName = keyof typeof FIELD_RULES;

const ORDER_PUSH_FIELDS = [
  "uid",
  "order_no",
  "order_type",
  "mobile_type",
  "phone_number",
  "face_value",
  "notify_url",
  "sign",
] as const satisfies readonly FieldName[];
const BALANCE_QUERY_FIELDS = ["uid", "sign"] as const satisfies readonly FieldName[];
const ORDER_QUERY_FIELDS = ["uid", "order_no", "sign"] as const satisfies readonly FieldName[];

export function validateOrderPush(fields: RequestFields): Validation<OrderPushRequest> {
  const r = readFields(fields, ORDER_PUSH_FIELDS);
  if (!r.ok) return r;
  const v = r.value;
  return {
    ok: true,
    value: {
      uid: v.uid,
      orderNo: v.order_no,
      orderType: Number(v.order_type),
      mobileType: Number(v.mobile_type),
      phoneNumber: v.phone_number,
      faceValue: Number(v.face_value),
      notifyUrl: v.notify_url,
      sign: v.sign,
    },
  };
}

export function validateBalanceQuery(fields: RequestFields): Validation<BalanceQueryRequest> {
  const r = readFields(fields, BALANCE_QUERY_FIELDS);
  return r.ok ? { ok: true, value: { uid: r.value.uid, sign: r.value.sign } } : r;
}

export function validateOrderQuery(fields: RequestFields): Validation<OrderQueryRequest> {
  const r = readFields(fields, ORDER_QUERY_FIELDS);
  return r.ok ? { ok: true, value: { uid: r.value.uid, orderNo: r.value.order_no, sign: r.value.sign } } : r;
}

/** Runs the missing pass over all names, then the format pass; yields each field's canonical text. */
function readFields<N extends FieldName>(
  fields: RequestFields,
  names: readonly N[],
): { ok: true; value: Record<N, string> } | { ok: false; msg: string } {
  for (const name of names) {
    if (isMissing(fields.get(name))) return { ok: false, msg: Msg.missing(name) };
  }
  const value = {} as Record<N, string>;
  for (const name of names) {
    const rule: FieldRule = FIELD_RULES[name];
    const t = textOf(fields.get(name), rule.kind);
    if (t === null || !rule.accepts(t)) return { ok: false, msg: Msg.malformed(name) };
    value[name] = t;
  }
  return { ok: true, value };
}

function isMissing(v: FieldValue | undefined): boolean {
  return v === undefined || v.kind === "null" || (v.kind === "string" && v.value === "");
}

/** The field's text as it signs and is stored, or null when its wire type is wrong for the field. */
function textOf(v: FieldValue | undefined, kind: FieldRule["kind"]): string | null {
  switch (v?.kind) {
    case "string":
      return kind === "int" && !CANONICAL_INT.test(v.value) ? null : v.value;
    case "number":
      // A JSON integer literal is taken as its exact digits (lossless); fractions, exponents
      // and signs are never the canonical text of anything we accept.
      if (kind === "int") return CANONICAL_INT.test(v.raw) ? v.raw : null;
      return DIGITS.test(v.raw) ? v.raw : null;
    default:
      return null;
  }
}

/**
 * An absolute http(s) URL with a host and no credentials. The text must literally start with
 * `http://` or `https://` and carry no whitespace or control characters: WHATWG parsing would
 * otherwise "repair" forms like `http:example.com` or ` http://x` that an operator never meant.
 */
export function isNotifyUrl(s: string): boolean {
  // Each code point is at most 2 UTF-16 units, so a longer string cannot fit: refused before
  // anything is counted, parsed or kept.
  return s.length <= 2 * MAX_NOTIFY_URL_CHARS && notifyUrlVerdict(s);
}

// An operator sends the same notify_url with every order: it is parsed once.
const notifyUrlVerdict = memoized(checkNotifyUrl, 1024);

function checkNotifyUrl(s: string): boolean {
  if (countCodePoints(s) > MAX_NOTIFY_URL_CHARS) return false;
  if (!/^https?:\/\//i.test(s)) return false;
  if (/[\u0000-\u0020\u007f]/.test(s)) return false;
  // Userinfo, even empty (`http://@host`), has no place in a callback address.
  if (/^https?:\/\/[^/?#\\]*@/i.test(s)) return false;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return (
    (url.protocol === "http:" || url.protocol === "https:") &&
    url.hostname !== "" &&
    url.username === "" &&
    url.password === ""
  );
}

/** The database column is VARCHAR(512), which counts characters (code points), not UTF-16 units. */
function countCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
