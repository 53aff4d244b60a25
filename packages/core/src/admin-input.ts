import { isValidAddressOrCidr } from "@topup/net";

/** Validation of admin API bodies: pure, strict (unknown fields are refused: a typo must not pass silently). */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export interface OperatorInput {
  name?: string;
  uid?: string;
  md5key?: string;
  rateBp?: number;
  ipWhitelist?: string[];
  enabled?: boolean;
  strictCarrier?: boolean;
  faceValues?: number[];
  rateLimitPerSecond?: number | null;
}

/**
 * Free text an administrator types (names, ledger records, reasons). Control characters are refused:
 * they have no place in these fields, and PostgreSQL cannot even store NUL (the write would fail).
 */
function isText(v: unknown, max: number, nonEmpty: boolean): boolean {
  return typeof v === "string" && v.length <= max && (!nonEmpty || v.trim().length > 0) && !/[\u0000-\u001f\u007f]/.test(v);
}

const UID = /^[0-9A-Za-z_-]{1,32}$/;
const MD5KEY = /^[0-9A-Za-z]{16,64}$/;

type FieldCheck = (value: unknown) => string | null;

const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

const OPERATOR_FIELDS: Record<keyof OperatorInput, FieldCheck> = {
  name: (v) => (isText(v, 128, true) ? null : "name must be a non-empty string of at most 128 characters, without control characters"),
  uid: (v) => (typeof v === "string" && UID.test(v) ? null : "uid must be 1-32 of [0-9A-Za-z_-]"),
  md5key: (v) => (typeof v === "string" && MD5KEY.test(v) ? null : "md5key must be 16-64 letters or digits"),
  rateBp: (v) => (isInt(v, 0, 10_000) ? null : "rateBp must be an integer from 0 to 10000"),
  ipWhitelist: (v) =>
    Array.isArray(v) && v.length <= 256 && v.every((e) => typeof e === "string" && isValidAddressOrCidr(e))
      ? null
      : "ipWhitelist must be a list of IP addresses or CIDRs",
  enabled: (v) => (typeof v === "boolean" ? null : "enabled must be true or false"),
  strictCarrier: (v) => (typeof v === "boolean" ? null : "strictCarrier must be true or false"),
  faceValues: (v) =>
    Array.isArray(v) && v.length <= 1000 && v.every((e) => isInt(e, 1, 2_147_483_647))
      ? null
      : "faceValues must be a list of positive integers (fen)",
  rateLimitPerSecond: (v) => (v === null || isInt(v, 1, 1_000_000) ? null : "rateLimitPerSecond must be null or a positive integer"),
};

function checkObject<K extends string>(body: unknown, allowed: Record<K, FieldCheck>): Checked<Partial<Record<K, unknown>>> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: "body must be a JSON object" };
  const out: Partial<Record<K, unknown>> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(key in allowed)) return { ok: false, error: `unknown field ${key}` };
    const error = allowed[key as K](value);
    if (error) return { ok: false, error };
    out[key as K] = value;
  }
  return { ok: true, value: out };
}

export function checkNewOperator(body: unknown): Checked<OperatorInput & { name: string }> {
  const checked = checkObject(body, OPERATOR_FIELDS);
  if (!checked.ok) return checked;
  const value = checked.value as OperatorInput;
  if (value.name === undefined) return { ok: false, error: "name is required" };
  return { ok: true, value: { ...value, name: value.name } };
}

export function checkOperatorPatch(body: unknown): Checked<Omit<OperatorInput, "uid" | "md5key">> {
  const { uid: _uid, md5key: _key, ...patchable } = OPERATOR_FIELDS;
  return checkObject(body, patchable) as Checked<Omit<OperatorInput, "uid" | "md5key">>;
}

export function checkKeyRotation(body: unknown): Checked<{ md5key?: string }> {
  return checkObject(body ?? {}, { md5key: OPERATOR_FIELDS.md5key }) as Checked<{ md5key?: string }>;
}

export interface AdjustmentInput {
  income: number;
  expenditure: number;
  record: string;
}

export function checkAdjustment(body: unknown): Checked<AdjustmentInput> {
  const checked = checkObject(body, {
    income: (v) => (isInt(v, 0, 1e13) ? null : "income must be a non-negative integer (fen)"),
    expenditure: (v) => (isInt(v, 0, 1e13) ? null : "expenditure must be a non-negative integer (fen)"),
    record: (v) => (isText(v, 128, true) ? null : "record must be a non-empty string of at most 128 characters, without control characters"),
  });
  if (!checked.ok) return checked;
  const { income = 0, expenditure = 0, record } = checked.value as Partial<AdjustmentInput>;
  if (record === undefined) return { ok: false, error: "record is required" };
  if ((income === 0) === (expenditure === 0)) return { ok: false, error: "give exactly one of income or expenditure, greater than 0" };
  return { ok: true, value: { income, expenditure, record } };
}

export function checkResolution(body: unknown): Checked<{ status: 4 | 10; reason?: string }> {
  const checked = checkObject(body, {
    status: (v) => (v === 4 || v === 10 ? null : "status must be 4 (充值成功) or 10 (充值失败)"),
    reason: (v) => (isText(v, 200, false) ? null : "reason must be a string of at most 200 characters, without control characters"),
  });
  if (!checked.ok) return checked;
  const status = checked.value.status as 4 | 10 | undefined;
  if (status === undefined) return { ok: false, error: "status is required" };
  return { ok: true, value: { status, reason: checked.value.reason as string | undefined } };
}
