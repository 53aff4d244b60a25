import type { CallbackState, ChannelKind, OrderFilter, RouteChannelEntry, UpstreamSettings } from "@topup/db";
import { isValidAddressOrCidr } from "@topup/net";
import { isNotifyUrl, isOrderStatus } from "@topup/protocol";

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

/** `name` is that of an object inside the body (`config`, `channels[2]`): its errors start with it. */
function checkObject<K extends string>(body: unknown, allowed: Record<K, FieldCheck>, name?: string): Checked<Partial<Record<K, unknown>>> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { ok: false, error: `${name ?? "body"} must be a JSON object` };
  const out: Partial<Record<K, unknown>> = {};
  for (const [key, value] of Object.entries(body)) {
    const error = key in allowed ? allowed[key as K](value) : `unknown field ${key}`;
    if (error) return { ok: false, error: name ? `${name}: ${error}` : error };
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

/** The longest grace period a rotation may give the previous key: 7 days. */
export const MAX_GRACE_SECONDS = 7 * 86_400;

export function checkKeyRotation(body: unknown): Checked<{ md5key?: string; graceSeconds?: number }> {
  return checkObject(body ?? {}, {
    md5key: OPERATOR_FIELDS.md5key,
    graceSeconds: (v) => (isInt(v, 0, MAX_GRACE_SECONDS) ? null : `graceSeconds must be an integer from 0 to ${MAX_GRACE_SECONDS} (7 days)`),
  }) as Checked<{ md5key?: string; graceSeconds?: number }>;
}

/** POST /admin/operators/:uid/disable or /enable: an optional reason, kept in the audit log. */
export function checkToggle(body: unknown): Checked<{ reason?: string }> {
  return checkObject(body ?? {}, {
    reason: (v) => (isText(v, 200, false) ? null : "reason must be a string of at most 200 characters, without control characters"),
  }) as Checked<{ reason?: string }>;
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

/** The statuses staff may move an order to (PROTOCOL §11): one legal step of §6 each. */
export type ResolvedStatus = 0 | 2 | 4 | 10;

export function checkResolution(body: unknown): Checked<{ status: ResolvedStatus; mobileOrderNo?: string; reason?: string }> {
  const checked = checkObject(body, {
    status: (v) => (v === 0 || v === 2 || v === 4 || v === 10 ? null : "status must be 0 (未支付), 2 (网厅支付中), 4 (充值成功) or 10 (充值失败)"),
    mobileOrderNo: (v) => (typeof v === "string" && /^[0-9A-Za-z_-]{1,64}$/.test(v) ? null : "mobileOrderNo must be 1-64 letters, digits, _ or -"),
    reason: (v) => (isText(v, 200, false) ? null : "reason must be a string of at most 200 characters, without control characters"),
  });
  if (!checked.ok) return checked;
  const status = checked.value.status as ResolvedStatus | undefined;
  if (status === undefined) return { ok: false, error: "status is required" };
  return { ok: true, value: { status, mobileOrderNo: checked.value.mobileOrderNo as string | undefined, reason: checked.value.reason as string | undefined } };
}

export interface ChannelInput {
  code?: string;
  kind?: ChannelKind;
  name?: string;
  enabled?: boolean;
  config?: Partial<UpstreamSettings>;
  concurrency?: number | null;
  costBp?: number;
}

const CHANNEL_KINDS: readonly unknown[] = ["upstream", "manual", "simulator"] satisfies ChannelKind[];

const UPSTREAM_CONFIG_FIELDS: Record<keyof UpstreamSettings, FieldCheck> = {
  // The channel's paths are appended to it: a query or fragment would end up in the middle.
  baseUrl: (v) =>
    typeof v === "string" && isNotifyUrl(v) && !/[?#]/.test(v)
      ? null
      : "baseUrl must be an absolute http or https URL of at most 512 characters, without credentials, query or fragment",
  uid: OPERATOR_FIELDS.uid,
  md5key: OPERATOR_FIELDS.md5key,
};

const CHANNEL_FIELDS: Record<keyof ChannelInput, FieldCheck> = {
  code: (v) => (typeof v === "string" && /^[a-z0-9_-]{1,32}$/.test(v) ? null : "code must be 1-32 of [a-z0-9_-]"),
  kind: (v) => (CHANNEL_KINDS.includes(v) ? null : "kind must be upstream, manual or simulator"),
  name: OPERATOR_FIELDS.name,
  enabled: OPERATOR_FIELDS.enabled,
  config: (v) => {
    const checked = checkObject(v, UPSTREAM_CONFIG_FIELDS, "config");
    return checked.ok ? null : checked.error;
  },
  concurrency: (v) => (v === null || isInt(v, 1, 1_000_000) ? null : "concurrency must be null (unlimited) or a positive integer"),
  costBp: (v) => (isInt(v, 0, 10_000) ? null : "costBp must be an integer from 0 to 10000"),
};

/** An upstream needs its whole config; no other kind takes one (PROTOCOL §12). */
function configFitsKind(kind: ChannelKind, config: Partial<UpstreamSettings> | undefined, whole: boolean): string | null {
  if (kind !== "upstream") return config === undefined ? null : `config is only for upstream channels, not ${kind}`;
  if (!whole) return null;
  if (config === undefined) return "config {baseUrl, uid, md5key} is required for an upstream channel";
  const missing = (Object.keys(UPSTREAM_CONFIG_FIELDS) as (keyof UpstreamSettings)[]).find((key) => config[key] === undefined);
  return missing ? `config: ${missing} is required for an upstream channel` : null;
}

export type NewChannelInput = Omit<ChannelInput, "code" | "kind" | "config"> & { code: string; kind: ChannelKind; config?: UpstreamSettings };

export function checkNewChannel(body: unknown): Checked<NewChannelInput> {
  const checked = checkObject(body, CHANNEL_FIELDS);
  if (!checked.ok) return checked;
  const value = checked.value as ChannelInput;
  if (value.code === undefined) return { ok: false, error: "code is required" };
  if (value.kind === undefined) return { ok: false, error: "kind is required" };
  const error = configFitsKind(value.kind, value.config, true);
  if (error) return { ok: false, error };
  return { ok: true, value: value as NewChannelInput };
}

export type ChannelPatchInput = Omit<ChannelInput, "code" | "kind"> & { circuit?: "closed" };

/** Any field but code and kind; an upstream's config fields may come one by one (a new md5key alone rotates it). */
export function checkChannelPatch(body: unknown, kind: ChannelKind): Checked<ChannelPatchInput> {
  const checked = checkObject(body, {
    ...CHANNEL_FIELDS,
    code: () => "code cannot be changed",
    kind: () => "kind cannot be changed",
    // The breaker moves the circuit; an administrator may only reset it (docs/channels.md).
    circuit: (v) => (v === "closed" ? null : 'circuit can only be set to "closed" (a reset)'),
  });
  if (!checked.ok) return checked;
  const value = checked.value as ChannelPatchInput;
  const error = configFitsKind(kind, value.config, false);
  return error ? { ok: false, error } : { ok: true, value };
}

export interface RouteInput {
  channels?: RouteChannelEntry[];
  uid?: string | null;
  orderType?: number | null;
  mobileType?: number | null;
  faceValues?: number[] | null;
  priority?: number;
  enabled?: boolean;
  holdMs?: number;
}

const ROUTE_CHANNEL_FIELDS: Record<keyof RouteChannelEntry, FieldCheck> = {
  code: CHANNEL_FIELDS.code,
  tier: (v) => (isInt(v, 0, 1000) ? null : "tier must be an integer from 0 to 1000"),
  weight: (v) => (isInt(v, 1, 1_000_000) ? null : "weight must be a positive integer"),
};

/** A route's channels: bare codes (tier = position, weight 1) or {code, weight?, tier?}, each channel once. */
function routeChannels(v: unknown): Checked<RouteChannelEntry[]> {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) {
    return { ok: false, error: "channels must be a non-empty list of at most 64 channel codes or {code, weight, tier} objects" };
  }
  const entries: RouteChannelEntry[] = [];
  for (const [position, item] of v.entries()) {
    const name = `channels[${position}]`;
    if (typeof item !== "string" && (typeof item !== "object" || item === null || Array.isArray(item))) {
      return { ok: false, error: `${name} must be a channel code or a {code, weight, tier} object` };
    }
    const checked = checkObject(typeof item === "string" ? { code: item } : item, ROUTE_CHANNEL_FIELDS, name);
    if (!checked.ok) return checked;
    const { code, tier = position, weight = 1 } = checked.value as Partial<RouteChannelEntry>;
    if (code === undefined) return { ok: false, error: `${name}: code is required` };
    if (entries.some((e) => e.code === code)) return { ok: false, error: `${name}: channel ${code} is listed twice (each channel is tried at most once)` };
    entries.push({ code, tier, weight });
  }
  return { ok: true, value: entries };
}

const nullable = (check: FieldCheck): FieldCheck => (v) => (v === null ? null : check(v));

const ROUTE_FIELDS: Record<keyof RouteInput, FieldCheck> = {
  channels: (v) => {
    const checked = routeChannels(v);
    return checked.ok ? null : checked.error;
  },
  uid: nullable(OPERATOR_FIELDS.uid),
  orderType: nullable((v) => (isInt(v, 1, 4) ? null : "orderType must be null (any) or 1 (话费), 2 (流量), 3 (卡密) or 4 (直充)")),
  mobileType: nullable((v) => (isInt(v, 1, 3) ? null : "mobileType must be null (any) or 1 (中国移动), 2 (中国联通) or 3 (中国电信)")),
  faceValues: nullable((v) =>
    Array.isArray(v) && v.length > 0 && v.length <= 1000 && v.every((e) => isInt(e, 1, 2_147_483_647))
      ? null
      : "faceValues must be null (any) or a non-empty list of positive integers (fen)",
  ),
  priority: (v) => (isInt(v, -1_000_000, 1_000_000) ? null : "priority must be an integer from -1000000 to 1000000"),
  enabled: OPERATOR_FIELDS.enabled,
  holdMs: (v) => (isInt(v, 0, 86_400_000) ? null : "holdMs must be an integer from 0 to 86400000 (24 hours)"),
};

/** Any field of a route; `channels`, when given, replaces the whole list. */
export function checkRoutePatch(body: unknown): Checked<RouteInput> {
  const checked = checkObject(body, ROUTE_FIELDS);
  if (!checked.ok) return checked;
  const value = checked.value as RouteInput;
  const channels = value.channels === undefined ? undefined : routeChannels(value.channels);
  return { ok: true, value: channels?.ok ? { ...value, channels: channels.value } : value };
}

export function checkNewRoute(body: unknown): Checked<RouteInput & { channels: RouteChannelEntry[] }> {
  const checked = checkRoutePatch(body);
  if (!checked.ok) return checked;
  const { channels } = checked.value;
  return channels ? { ok: true, value: { ...checked.value, channels } } : { ok: false, error: "channels is required" };
}

export interface OrderQuery {
  filter: OrderFilter;
  limit: number;
  /** From the cursor: only orders older than this id. */
  before: string | null;
}

const CALLBACK_STATES: readonly string[] = ["none", "pending", "acked", "failed"] satisfies CallbackState[];
/** ISO 8601 with a time zone (Z or ±hh:mm), so that no filter depends on the server's zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const ORDER_QUERY_FIELDS = ["uid", "orderNo", "phone", "serialNumber", "status", "channel", "callbackState", "from", "to", "limit", "cursor"];

/** The cursor of GET /admin/orders: opaque to callers, the id the next page starts below. */
export function orderCursor(beforeId: string): string {
  return Buffer.from(`o:${beforeId}`).toString("base64url");
}

/** GET /admin/orders's query string (PROTOCOL §11); `paged` false for the CSV export (no limit or cursor). */
export function checkOrderQuery(query: Record<string, unknown>, paged = true): Checked<OrderQuery> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!ORDER_QUERY_FIELDS.includes(name) || (!paged && (name === "limit" || name === "cursor"))) return { ok: false, error: `unknown parameter ${name}` };
    if (typeof value !== "string") return { ok: false, error: `${name} must be given once` };
    text[name] = value;
  }
  const filter: OrderFilter = {};
  for (const [name, pattern] of [["uid", /^[0-9A-Za-z_-]{1,32}$/], ["orderNo", /^[0-9A-Za-z_-]{1,64}$/], ["phone", /^1[3-9]\d{9}$/], ["serialNumber", /^\d{1,32}$/], ["channel", /^[a-z0-9_-]{1,32}$/]] as const) {
    const v = text[name];
    if (v === undefined) continue;
    if (!pattern.test(v)) return { ok: false, error: `${name} is malformed` };
    filter[name] = v;
  }
  if (text.status !== undefined) {
    if (!/^\d{1,2}$/.test(text.status) || !isOrderStatus(Number(text.status))) return { ok: false, error: "status must be one of 5, 6, 0, 2, 4, 1, 9, 10" };
    filter.status = Number(text.status);
  }
  if (text.callbackState !== undefined) {
    if (!CALLBACK_STATES.includes(text.callbackState)) return { ok: false, error: `callbackState must be one of ${CALLBACK_STATES.join(", ")}` };
    filter.callbackState = text.callbackState;
  }
  for (const name of ["from", "to"] as const) {
    const v = text[name];
    if (v === undefined) continue;
    const at = new Date(v);
    if (!ISO_INSTANT.test(v) || Number.isNaN(at.getTime())) return { ok: false, error: `${name} must be an ISO 8601 time with its zone, e.g. 2026-12-06T00:00:00+08:00` };
    filter[name] = at;
  }
  if (filter.from && filter.to && filter.from >= filter.to) return { ok: false, error: "from must be before to" };
  let limit = 50;
  if (text.limit !== undefined) {
    if (!/^\d{1,3}$/.test(text.limit) || Number(text.limit) < 1 || Number(text.limit) > 500) return { ok: false, error: "limit must be an integer from 1 to 500" };
    limit = Number(text.limit);
  }
  let before: string | null = null;
  if (text.cursor !== undefined) {
    const decoded = /^o:([1-9]\d{0,18})$/.exec(Buffer.from(text.cursor, "base64url").toString("utf8"));
    if (!decoded || orderCursor(decoded[1]) !== text.cursor || !isBigint(decoded[1])) return { ok: false, error: "cursor is not one this API gave" };
    before = decoded[1];
  }
  return { ok: true, value: { filter, limit, before } };
}

/** The longest range one daily report covers. */
export const REPORT_MAX_DAYS = 366;

/** GET /admin/reports/daily's query: `from` and `to` as YYYY-MM-DD (Asia/Shanghai days, both included), `format` json or csv. */
export function checkReportQuery(query: Record<string, unknown>, what = "a report"): Checked<{ from: string; to: string; format: "json" | "csv" }> {
  for (const [name, value] of Object.entries(query)) {
    if (!["from", "to", "format"].includes(name)) return { ok: false, error: `unknown parameter ${name}` };
    if (typeof value !== "string") return { ok: false, error: `${name} must be given once` };
  }
  const { from, to, format = "json" } = query as Record<string, string | undefined>;
  const day = (v: string | undefined) => (v !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v) ? Date.parse(`${v}T00:00:00Z`) : null);
  const start = day(from);
  const end = day(to);
  if (start === null || end === null) return { ok: false, error: "from and to are required, as calendar days YYYY-MM-DD" };
  if (end < start) return { ok: false, error: "to must not be before from" };
  if ((end - start) / 86_400_000 + 1 > REPORT_MAX_DAYS) return { ok: false, error: `${what} covers at most ${REPORT_MAX_DAYS} days` };
  if (format !== "json" && format !== "csv") return { ok: false, error: "format must be json or csv" };
  return { ok: true, value: { from: from!, to: to!, format } };
}

/** Cursors of the other paged lists: opaque to callers, `<kind>:<id>` in base64url, checked on the way back. */
export function idCursor(kind: string, id: string): string {
  return Buffer.from(`${kind}:${id}`).toString("base64url");
}

function readIdCursor(kind: string, text: string): string | null {
  const decoded = new RegExp(`^${kind}:([1-9]\\d{0,18})$`).exec(Buffer.from(text, "base64url").toString("utf8"));
  return decoded && idCursor(kind, decoded[1]) === text && isBigint(decoded[1]) ? decoded[1] : null;
}

/** A forged cursor beyond BIGINT would fail the statement (a 5xx) instead of being refused. */
function isBigint(digits: string): boolean {
  return BigInt(digits) <= 9_223_372_036_854_775_807n;
}

/** Every parameter known and given once; the values as text. */
function queryText(query: Record<string, unknown>, allowed: readonly string[]): Checked<Record<string, string>> {
  const text: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!allowed.includes(name)) return { ok: false, error: `unknown parameter ${name}` };
    if (typeof value !== "string") return { ok: false, error: `${name} must be given once` };
    text[name] = value;
  }
  return { ok: true, value: text };
}

function pageLimit(text: string | undefined, fallback: number, max: number): Checked<number> {
  if (text === undefined) return { ok: true, value: fallback };
  if (!/^\d{1,7}$/.test(text) || Number(text) < 1 || Number(text) > max) return { ok: false, error: `limit must be an integer from 1 to ${max}` };
  return { ok: true, value: Number(text) };
}

function pageCursor(kind: string, text: string | undefined): Checked<string | null> {
  if (text === undefined) return { ok: true, value: null };
  const id = readIdCursor(kind, text);
  return id === null ? { ok: false, error: "cursor is not one this API gave" } : { ok: true, value: id };
}

function instant(name: string, v: string): Checked<Date> {
  const at = new Date(v);
  if (!ISO_INSTANT.test(v) || Number.isNaN(at.getTime())) return { ok: false, error: `${name} must be an ISO 8601 time with its zone, e.g. 2026-12-06T00:00:00+08:00` };
  return { ok: true, value: at };
}

export interface Page {
  limit: number;
  /** From the cursor: only rows older (lower id) than this. */
  before: string | null;
}

/** GET /admin/operators/:uid/ledger: `limit` (default 100, at most 500) and `cursor`. */
export function checkLedgerQuery(query: Record<string, unknown>): Checked<Page> {
  const text = queryText(query, ["limit", "cursor"]);
  if (!text.ok) return text;
  const limit = pageLimit(text.value.limit, 100, 500);
  if (!limit.ok) return limit;
  const before = pageCursor("l", text.value.cursor);
  if (!before.ok) return before;
  return { ok: true, value: { limit: limit.value, before: before.value } };
}

/** GET /admin/callbacks/unacknowledged: `uid`, `limit` (default 50, at most 500), `cursor`. */
export function checkUnacknowledgedQuery(query: Record<string, unknown>): Checked<Page & { uid?: string }> {
  const text = queryText(query, ["uid", "limit", "cursor"]);
  if (!text.ok) return text;
  const { uid } = text.value;
  if (uid !== undefined && !UID.test(uid)) return { ok: false, error: "uid is malformed" };
  const limit = pageLimit(text.value.limit, 50, 500);
  if (!limit.ok) return limit;
  const before = pageCursor("u", text.value.cursor);
  if (!before.ok) return before;
  return { ok: true, value: { uid, limit: limit.value, before: before.value } };
}

/** Callbacks one bulk resend opens at most, by default and at the most. */
export const RESEND_DEFAULT_LIMIT = 500;
export const RESEND_MAX_LIMIT = 5_000;

/**
 * POST /admin/operators/:uid/resend-callbacks `{"since", "limit"?, "cursor"?}`: `cursor` is the
 * `nextCursor` of the previous call, to go on where it stopped.
 */
export function checkBulkResend(body: unknown): Checked<{ since: Date; limit: number; after: string | null }> {
  const checked = checkObject(body, {
    since: (v) => (typeof v === "string" && instant("since", v).ok ? null : "since must be an ISO 8601 time with its zone, e.g. 2026-12-06T00:00:00+08:00"),
    limit: (v) => (isInt(v, 1, RESEND_MAX_LIMIT) ? null : `limit must be an integer from 1 to ${RESEND_MAX_LIMIT}`),
    cursor: (v) => (typeof v === "string" && readIdCursor("r", v) !== null ? null : "cursor is not one this API gave"),
  });
  if (!checked.ok) return checked;
  const { since, limit = RESEND_DEFAULT_LIMIT, cursor } = checked.value as { since?: string; limit?: number; cursor?: string };
  if (since === undefined) return { ok: false, error: "since is required" };
  return { ok: true, value: { since: new Date(since), limit, after: cursor === undefined ? null : readIdCursor("r", cursor) } };
}

/** GET /admin/operators/:uid/statement: Shanghai days `from`..`to` like the daily report, `format` json or csv. */
export function checkStatementQuery(query: Record<string, unknown>, csv = false): Checked<{ from: string; to: string; format: "json" | "csv" }> {
  const checked = checkReportQuery(query, "a statement");
  if (!checked.ok) return checked;
  return { ok: true, value: csv ? { ...checked.value, format: "csv" } : checked.value };
}

export interface AuditQuery extends Page {
  filter: { actor?: string; targetType?: string; targetId?: string; from?: Date; to?: Date };
}

/**
 * GET /admin/audit: `actor` (as recorded, e.g. admin or admin:alice), `entity` (a target type such as
 * operator, or type:id such as operator:3928857), `from`/`to` (ISO 8601), `limit` (default 50, at most 500), `cursor`.
 */
export function checkAuditQuery(query: Record<string, unknown>): Checked<AuditQuery> {
  const text = queryText(query, ["actor", "entity", "from", "to", "limit", "cursor"]);
  if (!text.ok) return text;
  const filter: AuditQuery["filter"] = {};
  const { actor, entity } = text.value;
  if (actor !== undefined) {
    if (!/^[\w.@:-]{1,64}$/.test(actor)) return { ok: false, error: "actor is malformed" };
    filter.actor = actor;
  }
  if (entity !== undefined) {
    const parts = /^([a-z]{1,32})(?::([^\s]{1,64}))?$/.exec(entity);
    if (!parts) return { ok: false, error: "entity must be a type (e.g. operator) or type:id (e.g. operator:3928857)" };
    filter.targetType = parts[1];
    if (parts[2] !== undefined) filter.targetId = parts[2];
  }
  for (const name of ["from", "to"] as const) {
    if (text.value[name] === undefined) continue;
    const at = instant(name, text.value[name]);
    if (!at.ok) return at;
    filter[name] = at.value;
  }
  if (filter.from && filter.to && filter.from >= filter.to) return { ok: false, error: "from must be before to" };
  const limit = pageLimit(text.value.limit, 50, 500);
  if (!limit.ok) return limit;
  const before = pageCursor("a", text.value.cursor);
  if (!before.ok) return before;
  return { ok: true, value: { filter, limit: limit.value, before: before.value } };
}
