import { z } from "zod";
import type { CallbackState, ChannelKind, OrderFilter, RouteChannelEntry, UpstreamSettings } from "@topup/db";
import { isValidAddressOrCidr } from "@topup/net";
import { isNotifyUrl, isOrderStatus } from "@topup/protocol";

/**
 * Validation of admin API bodies and query strings: pure, strict (unknown fields are refused: a typo
 * must not pass silently). Each field is a zod schema that carries its own error message, so the same
 * schemas validate a request and describe it in the OpenAPI document.
 */
export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

type Issue = z.core.$ZodRawIssue;
type Path = readonly PropertyKey[];

/** How a message names a place in a body: `rateBp`, `config: baseUrl`, `channels[2]: code`. */
function placeName(path: Path): string {
  let name = "";
  for (const key of path) name += typeof key === "number" ? `[${key}]` : name ? `: ${String(key)}` : String(key);
  return name;
}

/** JSON has no undefined: a field is undefined only when the body leaves it out. */
const isMissing = (issue: Issue) => issue.input === undefined;

/**
 * zod's error option for a field: every way of getting it wrong is told as `<field> <broken>`, and a
 * missing field as `<field> is required`. `up` names the place that many levels above the fault (a
 * list whose items are told as the list).
 */
function says(broken: string, up = 0) {
  const error = (issue: Issue) => {
    const path = issue.path ?? [];
    return `${placeName(path.slice(0, path.length - up))} ${isMissing(issue) ? "is required" : broken}`;
  };
  // The rule doubles as the field's description in the document (the list's, not each item's).
  return { error: up === 0 ? Object.assign(error, { rule: broken }) : error };
}

/** The rule a schema's error option states, if `says` made it. */
function ruleOf(schema: z.core.$ZodType): string | undefined {
  const error = (schema._zod.def as { error?: { rule?: string } }).error;
  return error?.rule;
}

/** A strict object; `notAnObject` is what its place is told when it is given something else. */
function fields<S extends z.core.$ZodLooseShape>(shape: S, notAnObject = "must be a JSON object") {
  return z.strictObject(shape, {
    error: (issue: Issue) => {
      const path = issue.path ?? [];
      if (issue.code === "unrecognized_keys") return `${path.length > 0 ? `${placeName(path)}: ` : ""}unknown field ${String(issue.keys[0])}`;
      return `${path.length > 0 ? placeName(path) : "body"} ${notAnObject}`;
    },
  });
}

/** A list whose faults, of the list or of any of its items, are told as the list's. */
function listOf<T extends z.ZodType>(item: (params: ReturnType<typeof says>) => T, broken: string, most: number, least = 0) {
  return z.array(item(says(broken, 1)), says(broken)).min(least).max(most);
}

/**
 * Free text an administrator types (names, ledger records, reasons). Control characters are refused:
 * they have no place in these fields, and PostgreSQL cannot even store NUL (the write would fail).
 */
function text(max: number, nonEmpty: boolean, broken: string) {
  const schema = z.string(says(broken)).max(max).regex(/^[^\u0000-\u001f\u007f]*$/);
  return nonEmpty ? schema.regex(/\S/) : schema;
}

const integer = (min: number, max: number, broken: string) => z.int(says(broken)).min(min).max(max);

const MAX_FEN = 2_147_483_647;
const UID_PATTERN = /^[0-9A-Za-z_-]{1,32}$/;
const CODE_PATTERN = /^[a-z0-9_-]{1,32}$/;
/** ISO 8601 with a time zone (Z or ±hh:mm), so that no filter depends on the server's zone. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const INSTANT_BROKEN = "must be an ISO 8601 time with its zone, e.g. 2026-12-06T00:00:00+08:00";

const instant = () =>
  z
    .string(says(INSTANT_BROKEN))
    .regex(ISO_INSTANT)
    .refine((v) => !Number.isNaN(Date.parse(v)))
    .transform((v) => new Date(v));

const NAME = text(128, true, "must be a non-empty string of at most 128 characters, without control characters");
const UID = z.string(says("must be 1-32 of [0-9A-Za-z_-]")).regex(UID_PATTERN);
const MD5KEY = z.string(says("must be 16-64 letters or digits")).regex(/^[0-9A-Za-z]{16,64}$/);
const ENABLED = z.boolean(says("must be true or false"));
const REASON = text(200, false, "must be a string of at most 200 characters, without control characters");
const CHANNEL_CODE = z.string(says("must be 1-32 of [a-z0-9_-]")).regex(CODE_PATTERN);

const OPERATOR_SETTINGS = {
  rateBp: integer(0, 10_000, "must be an integer from 0 to 10000").optional(),
  ipWhitelist: listOf((params) => z.string(params).refine(isValidAddressOrCidr), "must be a list of IP addresses or CIDRs", 256).optional(),
  enabled: ENABLED.optional(),
  strictCarrier: z.boolean(says("must be true or false")).optional(),
  faceValues: listOf((params) => z.int(params).min(1).max(MAX_FEN), "must be a list of positive integers (fen)", 1000).optional(),
  rateLimitPerSecond: integer(1, 1_000_000, "must be null or a positive integer").nullable().optional(),
};

/** POST /admin/operators. */
export const NEW_OPERATOR = fields({ name: NAME, uid: UID.optional(), md5key: MD5KEY.optional(), ...OPERATOR_SETTINGS });
/** PATCH /admin/operators/:uid: any field but the uid and the key (rotate-key changes that). */
export const OPERATOR_PATCH = fields({ name: NAME.optional(), ...OPERATOR_SETTINGS });

export type OperatorInput = Partial<z.output<typeof NEW_OPERATOR>>;

/**
 * The body's first fault, in the order the body lists its fields (what a caller reads first); a
 * missing field after every field given.
 */
export function checkBody<S extends z.ZodType>(schema: S, body: unknown): Checked<z.output<S>> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  const ranked = parsed.error.issues.map((issue) => ({ issue, rank: inputRank(body, issue) }));
  ranked.sort((a, b) => compareRanks(a.rank, b.rank));
  return { ok: false, error: ranked[0].issue.message };
}

/** Where an issue is in the input: per level, the field's position in its object or the item's in its list. */
function inputRank(input: unknown, issue: z.core.$ZodIssue): number[] {
  const path = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
  const rank: number[] = [];
  let value = input;
  for (const key of path) {
    if (typeof key === "number") rank.push(key);
    else {
      const at = isObject(value) ? Object.keys(value).indexOf(String(key)) : -1;
      rank.push(at < 0 ? Number.POSITIVE_INFINITY : at);
    }
    value = isObject(value) || Array.isArray(value) ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return rank;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length; // a fault of the whole before one of its parts
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function checkNewOperator(body: unknown): Checked<z.output<typeof NEW_OPERATOR>> {
  return checkBody(NEW_OPERATOR, body);
}

export function checkOperatorPatch(body: unknown): Checked<z.output<typeof OPERATOR_PATCH>> {
  return checkBody(OPERATOR_PATCH, body);
}

/** The longest grace period a rotation may give the previous key: 7 days. */
export const MAX_GRACE_SECONDS = 7 * 86_400;

/** POST /admin/operators/:uid/rotate-key: a key (generated when not given), and how long the previous one still verifies. */
export const KEY_ROTATION = fields({
  md5key: MD5KEY.optional(),
  graceSeconds: integer(0, MAX_GRACE_SECONDS, `must be an integer from 0 to ${MAX_GRACE_SECONDS} (7 days)`).optional(),
});

export function checkKeyRotation(body: unknown): Checked<z.output<typeof KEY_ROTATION>> {
  return checkBody(KEY_ROTATION, body ?? {});
}

/** POST /admin/operators/:uid/disable or /enable: an optional reason, kept in the audit log. */
export const TOGGLE = fields({ reason: REASON.optional() });

export function checkToggle(body: unknown): Checked<z.output<typeof TOGGLE>> {
  return checkBody(TOGGLE, body ?? {});
}

export interface AdjustmentInput {
  income: number;
  expenditure: number;
  record: string;
}

/** POST /admin/operators/:uid/adjustments: exactly one of income or expenditure, with what it is for. */
export const ADJUSTMENT = fields({
  income: integer(0, 1e13, "must be a non-negative integer (fen)").optional(),
  expenditure: integer(0, 1e13, "must be a non-negative integer (fen)").optional(),
  record: text(128, true, "must be a non-empty string of at most 128 characters, without control characters"),
});

export function checkAdjustment(body: unknown): Checked<AdjustmentInput> {
  const checked = checkBody(ADJUSTMENT, body);
  if (!checked.ok) return checked;
  const { income = 0, expenditure = 0, record } = checked.value;
  if ((income === 0) === (expenditure === 0)) return { ok: false, error: "give exactly one of income or expenditure, greater than 0" };
  return { ok: true, value: { income, expenditure, record } };
}

/** The statuses staff may move an order to (PROTOCOL §11): one legal step of §6 each. */
export type ResolvedStatus = 0 | 2 | 4 | 10;

/** POST /admin/orders/:id/resolve. */
export const RESOLUTION = fields({
  status: z.literal([0, 2, 4, 10], says("must be 0 (未支付), 2 (网厅支付中), 4 (充值成功) or 10 (充值失败)")),
  mobileOrderNo: z.string(says("must be 1-64 letters, digits, _ or -")).regex(/^[0-9A-Za-z_-]{1,64}$/).optional(),
  reason: REASON.optional(),
});

export function checkResolution(body: unknown): Checked<{ status: ResolvedStatus; mobileOrderNo?: string; reason?: string }> {
  return checkBody(RESOLUTION, body);
}

const UPSTREAM_CONFIG = fields({
  // The channel's paths are appended to it: a query or fragment would end up in the middle.
  baseUrl: z
    .string(says("must be an absolute http or https URL of at most 512 characters, without credentials, query or fragment"))
    .refine((v) => isNotifyUrl(v) && !/[?#]/.test(v))
    .optional(),
  uid: UID.optional(),
  md5key: MD5KEY.optional(),
});

const CHANNEL_KINDS = ["upstream", "manual", "simulator"] as const satisfies readonly ChannelKind[];

const CHANNEL_SETTINGS = {
  name: NAME.optional(),
  enabled: ENABLED.optional(),
  config: UPSTREAM_CONFIG.optional(),
  concurrency: integer(1, 1_000_000, "must be null (unlimited) or a positive integer").nullable().optional(),
  costBp: integer(0, 10_000, "must be an integer from 0 to 10000").optional(),
};

/** POST /admin/channels. */
export const NEW_CHANNEL = fields({ code: CHANNEL_CODE, kind: z.enum(CHANNEL_KINDS, says("must be upstream, manual or simulator")), ...CHANNEL_SETTINGS });

/** PATCH /admin/channels/:code: any field but code and kind; an upstream's config fields may come one by one (a new md5key alone rotates it). */
export const CHANNEL_PATCH = fields({
  code: z.never(says("cannot be changed")).optional(),
  kind: z.never(says("cannot be changed")).optional(),
  ...CHANNEL_SETTINGS,
  // The breaker moves the circuit; an administrator may only reset it (docs/channels.md).
  circuit: z.literal("closed", says('can only be set to "closed" (a reset)')).optional(),
});

/** An upstream needs its whole config; no other kind takes one (PROTOCOL §12). */
function configFitsKind(kind: ChannelKind, config: Partial<UpstreamSettings> | undefined, whole: boolean): string | null {
  if (kind !== "upstream") return config === undefined ? null : `config is only for upstream channels, not ${kind}`;
  if (!whole) return null;
  if (config === undefined) return "config {baseUrl, uid, md5key} is required for an upstream channel";
  const missing = (Object.keys(UPSTREAM_CONFIG.shape) as (keyof UpstreamSettings)[]).find((key) => config[key] === undefined);
  return missing ? `config: ${missing} is required for an upstream channel` : null;
}

export type ChannelInput = Partial<z.output<typeof NEW_CHANNEL>>;
export type NewChannelInput = Omit<z.output<typeof NEW_CHANNEL>, "config"> & { config?: UpstreamSettings };

export function checkNewChannel(body: unknown): Checked<NewChannelInput> {
  const checked = checkBody(NEW_CHANNEL, body);
  if (!checked.ok) return checked;
  const error = configFitsKind(checked.value.kind, checked.value.config, true);
  return error ? { ok: false, error } : { ok: true, value: checked.value as NewChannelInput };
}

export type ChannelPatchInput = Omit<z.output<typeof CHANNEL_PATCH>, "code" | "kind">;

export function checkChannelPatch(body: unknown, kind: ChannelKind): Checked<ChannelPatchInput> {
  const checked = checkBody(CHANNEL_PATCH, body);
  if (!checked.ok) return checked;
  const error = configFitsKind(kind, checked.value.config, false);
  return error ? { ok: false, error } : { ok: true, value: checked.value };
}

const ROUTE_CHANNEL_ENTRY = fields(
  {
    code: CHANNEL_CODE,
    weight: integer(1, 1_000_000, "must be a positive integer").optional(),
    tier: integer(0, 1000, "must be an integer from 0 to 1000").optional(),
  },
  "must be a channel code or a {code, weight, tier} object",
);

/** A route's channel: a bare code stands for {code} (its tier is then its position, its weight 1). */
const ROUTE_CHANNEL = z.preprocess((v) => (typeof v === "string" ? { code: v } : v), ROUTE_CHANNEL_ENTRY);

/** How the document shows a schema whose validation reshapes its input first (the route channel's bare code). */
const shownAs = new Map<z.core.$ZodType, z.ZodType>([[ROUTE_CHANNEL, z.union([CHANNEL_CODE, ROUTE_CHANNEL_ENTRY])]]);

const ROUTE_CHANNELS = z
  .array(ROUTE_CHANNEL, says("must be a non-empty list of at most 64 channel codes or {code, weight, tier} objects"))
  .min(1)
  .max(64)
  .superRefine(
    (entries, ctx) => {
      const seen = new Set<string>();
      // An entry that is wrong itself is told as such, not as a repeat.
      const wrong = new Set(ctx.issues.map((issue) => issue.path?.[0]));
      for (const [position, entry] of entries.entries()) {
        if (wrong.has(position)) continue;
        if (seen.has(entry.code)) {
          ctx.addIssue({ code: "custom", path: [position], message: `channels[${position}]: channel ${entry.code} is listed twice (each channel is tried at most once)` });
        }
        seen.add(entry.code);
      }
    },
    // Beside faults of other entries too, so that the first fault in the list is the one told.
    { when: (payload) => Array.isArray(payload.value) },
  );

const ROUTE_SHAPE = {
  channels: ROUTE_CHANNELS.optional(),
  uid: UID.nullable().optional(),
  orderType: integer(1, 4, "must be null (any) or 1 (话费), 2 (流量), 3 (卡密) or 4 (直充)").nullable().optional(),
  mobileType: integer(1, 3, "must be null (any) or 1 (中国移动), 2 (中国联通) or 3 (中国电信)").nullable().optional(),
  faceValues: listOf((params) => z.int(params).min(1).max(MAX_FEN), "must be null (any) or a non-empty list of positive integers (fen)", 1000, 1)
    .nullable()
    .optional(),
  priority: integer(-1_000_000, 1_000_000, "must be an integer from -1000000 to 1000000").optional(),
  enabled: ENABLED.optional(),
  holdMs: integer(0, 86_400_000, "must be an integer from 0 to 86400000 (24 hours)").optional(),
};

/** PATCH /admin/routes/:id: any field of a route; `channels`, when given, replaces the whole list. */
export const ROUTE_PATCH = fields(ROUTE_SHAPE);
/** POST /admin/routes. */
export const NEW_ROUTE = fields({ ...ROUTE_SHAPE, channels: ROUTE_CHANNELS });

export type RouteInput = Omit<z.output<typeof ROUTE_PATCH>, "channels"> & { channels?: RouteChannelEntry[] };

/** Bare codes and entries alike as {code, tier, weight}: a tier defaults to the position, a weight to 1. */
function routeEntries(entries: readonly { code: string; tier?: number; weight?: number }[]): RouteChannelEntry[] {
  return entries.map(({ code, tier, weight }, position) => ({ code, tier: tier ?? position, weight: weight ?? 1 }));
}

export function checkRoutePatch(body: unknown): Checked<RouteInput> {
  const checked = checkBody(ROUTE_PATCH, body);
  if (!checked.ok) return checked;
  const { channels, ...rest } = checked.value;
  return { ok: true, value: channels === undefined ? rest : { ...rest, channels: routeEntries(channels) } };
}

export function checkNewRoute(body: unknown): Checked<RouteInput & { channels: RouteChannelEntry[] }> {
  const checked = checkBody(NEW_ROUTE, body);
  if (!checked.ok) return checked;
  return { ok: true, value: { ...checked.value, channels: routeEntries(checked.value.channels) } };
}

/**
 * A query string's first fault: a parameter it does not know, or one given twice; then the
 * parameters' own rules in the schema's order.
 */
export function checkQuery<S extends z.ZodObject>(schema: S, query: Record<string, unknown>): Checked<z.output<S>> {
  const known = Object.keys(schema.shape);
  for (const [name, value] of Object.entries(query)) {
    if (!known.includes(name)) return { ok: false, error: `unknown parameter ${name}` };
    if (typeof value !== "string") return { ok: false, error: `${name} must be given once` };
  }
  const parsed = schema.safeParse(query);
  if (parsed.success) return { ok: true, value: parsed.data };
  const at = (issue: z.core.$ZodIssue) => known.indexOf(String(issue.path[0]));
  return { ok: false, error: [...parsed.error.issues].sort((a, b) => at(a) - at(b))[0].message };
}

/** A cross-parameter rule, run once the parameters it reads are valid each. */
function whenValid(...names: string[]) {
  return (payload: z.core.ParsePayload) => !payload.issues.some((issue) => names.includes(String(issue.path?.[0])));
}

/** A query's `from`/`to` (ISO 8601): `from` must come first; the fault is told at `to`, where the range ends. */
function timeRange<S extends z.ZodObject>(schema: S) {
  const inOrder = (q: { from?: Date; to?: Date }) => !(q.from && q.to && q.from >= q.to);
  return schema.refine((q) => inOrder(q as { from?: Date; to?: Date }), { error: "from must be before to", path: ["to"], when: whenValid("from", "to") });
}

/** Cursors of paged lists: opaque to callers, `<kind>:<id>` in base64url, checked on the way back. */
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

/** A page's `limit` as the query string gives it, in at most `digits` digits (leading zeros included). */
const pageLimit = (fallback: number, max: number, digits = 7) =>
  z
    .string(says(`must be an integer from 1 to ${max}`))
    .describe(`how many rows, from 1 to ${max}; ${fallback} when not given`)
    .regex(new RegExp(`^\\d{1,${digits}}$`))
    .refine((v) => Number(v) >= 1 && Number(v) <= max)
    .transform(Number)
    .default(fallback);

/** A page's `cursor`: the id the page starts below; null for the first page. */
const pageCursor = (kind: string) =>
  z
    .string(says("is not one this API gave"))
    .describe("the nextCursor of the previous page")
    .refine((v) => readIdCursor(kind, v) !== null)
    .transform((v) => readIdCursor(kind, v))
    .optional()
    .transform((v) => v ?? null);

export interface Page {
  limit: number;
  /** From the cursor: only rows older (lower id) than this. */
  before: string | null;
}

export interface OrderQuery {
  filter: OrderFilter;
  limit: number;
  /** From the cursor: only orders older than this id. */
  before: string | null;
}

const CALLBACK_STATES = ["none", "pending", "acked", "failed"] as const satisfies readonly CallbackState[];

/** A filter whose value is told only as malformed; `about` says what it is, for the document. */
const malformed = (pattern: RegExp, about: string) => z.string(says("is malformed")).regex(pattern).describe(about).optional();

const ORDER_FILTER_SHAPE = {
  uid: malformed(UID_PATTERN, "the operator's uid"),
  orderNo: malformed(/^[0-9A-Za-z_-]{1,64}$/, "the operator's order_no"),
  phone: malformed(/^1[3-9]\d{9}$/, "the phone number recharged"),
  serialNumber: malformed(/^\d{1,32}$/, "the platform's serial number of the order"),
  channel: malformed(CODE_PATTERN, "the code of the channel the order is or was with"),
  status: z
    .string(says("must be one of 5, 6, 0, 2, 4, 1, 9, 10"))
    .regex(/^\d{1,2}$/)
    .refine((v) => isOrderStatus(Number(v)))
    .transform(Number)
    .optional(),
  callbackState: z.enum(CALLBACK_STATES, says(`must be one of ${CALLBACK_STATES.join(", ")}`)).optional(),
  from: instant().optional(),
  to: instant().optional(),
};

/** GET /admin/orders/export.csv: the filters of GET /admin/orders, every match (no page). */
export const ORDER_FILTER_QUERY = timeRange(fields(ORDER_FILTER_SHAPE));
/** GET /admin/orders (PROTOCOL §11): the filters, `limit` (default 50, at most 500) and `cursor`. */
export const ORDER_PAGE_QUERY = timeRange(fields({ ...ORDER_FILTER_SHAPE, limit: pageLimit(50, 500, 3), cursor: pageCursor("o") }));

/** The cursor of GET /admin/orders: opaque to callers, the id the next page starts below. */
export function orderCursor(beforeId: string): string {
  return idCursor("o", beforeId);
}

/** GET /admin/orders's query string (PROTOCOL §11); `paged` false for the CSV export (no limit or cursor). */
export function checkOrderQuery(query: Record<string, unknown>, paged = true): Checked<OrderQuery> {
  const checked = paged ? checkQuery(ORDER_PAGE_QUERY, query) : checkQuery(ORDER_FILTER_QUERY, query);
  if (!checked.ok) return checked;
  const { limit = 50, cursor = null, ...filter } = checked.value as z.output<typeof ORDER_PAGE_QUERY>;
  return { ok: true, value: { filter: definedOnly(filter), limit, before: cursor } };
}

function definedOnly<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The longest range one daily report covers. */
export const REPORT_MAX_DAYS = 366;

/** A calendar day YYYY-MM-DD that exists, as the milliseconds of its UTC midnight. */
function dayStart(v: string): number {
  const at = Date.parse(`${v}T00:00:00Z`);
  return !Number.isNaN(at) && new Date(at).toISOString().startsWith(v) ? at : Number.NaN;
}

/** `from` and `to` as YYYY-MM-DD (Asia/Shanghai days, both included), `format` json or csv. */
function daysQuery(what: string) {
  const day = () => z.string({ error: () => "from and to are required, as calendar days YYYY-MM-DD" }).regex(/^\d{4}-\d{2}-\d{2}$/).refine((v) => !Number.isNaN(dayStart(v)));
  const days = (q: { from: string; to: string }) => (dayStart(q.to) - dayStart(q.from)) / 86_400_000 + 1;
  return fields({ from: day(), to: day(), format: z.enum(["json", "csv"], says("must be json or csv")).default("json") })
    .refine((q) => days(q) >= 1, { error: "to must not be before from", path: ["to"], when: whenValid("from", "to") })
    .refine((q) => days(q) < 1 || days(q) <= REPORT_MAX_DAYS, { error: `${what} covers at most ${REPORT_MAX_DAYS} days`, path: ["to"], when: whenValid("from", "to") });
}

/** GET /admin/reports/daily. */
export const REPORT_QUERY = daysQuery("a report");
/** GET /admin/operators/:uid/statement (and statement.csv): Shanghai days like the daily report. */
export const STATEMENT_QUERY = daysQuery("a statement");

export function checkReportQuery(query: Record<string, unknown>): Checked<{ from: string; to: string; format: "json" | "csv" }> {
  return checkQuery(REPORT_QUERY, query);
}

/** GET /admin/operators/:uid/ledger: `limit` (default 100, at most 500) and `cursor`. */
export const LEDGER_QUERY = fields({ limit: pageLimit(100, 500), cursor: pageCursor("l") });

export function checkLedgerQuery(query: Record<string, unknown>): Checked<Page> {
  const checked = checkQuery(LEDGER_QUERY, query);
  return checked.ok ? { ok: true, value: { limit: checked.value.limit, before: checked.value.cursor } } : checked;
}

/** GET /admin/callbacks/unacknowledged: `uid`, `limit` (default 50, at most 500), `cursor`. */
export const UNACKNOWLEDGED_QUERY = fields({ uid: malformed(UID_PATTERN, "only this operator's orders"), limit: pageLimit(50, 500), cursor: pageCursor("u") });

export function checkUnacknowledgedQuery(query: Record<string, unknown>): Checked<Page & { uid?: string }> {
  const checked = checkQuery(UNACKNOWLEDGED_QUERY, query);
  if (!checked.ok) return checked;
  const { uid, limit, cursor } = checked.value;
  return { ok: true, value: { uid, limit, before: cursor } };
}

/** Callbacks one bulk resend opens at most, by default and at the most. */
export const RESEND_DEFAULT_LIMIT = 500;
export const RESEND_MAX_LIMIT = 5_000;

/**
 * POST /admin/operators/:uid/resend-callbacks `{"since", "limit"?, "cursor"?}`: `cursor` is the
 * `nextCursor` of the previous call, to go on where it stopped.
 */
export const BULK_RESEND = fields({
  since: instant(),
  limit: integer(1, RESEND_MAX_LIMIT, `must be an integer from 1 to ${RESEND_MAX_LIMIT}`).default(RESEND_DEFAULT_LIMIT),
  cursor: z
    .string(says("is not one this API gave"))
    .describe("the nextCursor of the previous call, to go on where it stopped")
    .refine((v) => readIdCursor("r", v) !== null)
    .optional(),
});

export function checkBulkResend(body: unknown): Checked<{ since: Date; limit: number; after: string | null }> {
  const checked = checkBody(BULK_RESEND, body);
  if (!checked.ok) return checked;
  const { since, limit, cursor } = checked.value;
  return { ok: true, value: { since, limit, after: cursor === undefined ? null : readIdCursor("r", cursor) } };
}

export function checkStatementQuery(query: Record<string, unknown>, csv = false): Checked<{ from: string; to: string; format: "json" | "csv" }> {
  const checked = checkQuery(STATEMENT_QUERY, query);
  if (!checked.ok) return checked;
  return { ok: true, value: csv ? { ...checked.value, format: "csv" } : checked.value };
}

export interface AuditQuery extends Page {
  filter: { actor?: string; targetType?: string; targetId?: string; from?: Date; to?: Date };
}

const AUDIT_ENTITY = /^([a-z]{1,32})(?::([^\s]{1,64}))?$/;

/**
 * GET /admin/audit: `actor` (as recorded, e.g. admin or admin:alice), `entity` (a target type such as
 * operator, or type:id such as operator:3928857), `from`/`to` (ISO 8601), `limit` (default 50, at most 500), `cursor`.
 */
export const AUDIT_QUERY = timeRange(
  fields({
    actor: malformed(/^[\w.@:-]{1,64}$/, "who made the change, as recorded (admin, or admin:<name> from X-Admin-Actor)"),
    entity: z.string(says("must be a type (e.g. operator) or type:id (e.g. operator:3928857)")).regex(AUDIT_ENTITY).optional(),
    from: instant().optional(),
    to: instant().optional(),
    limit: pageLimit(50, 500),
    cursor: pageCursor("a"),
  }),
);

export function checkAuditQuery(query: Record<string, unknown>): Checked<AuditQuery> {
  const checked = checkQuery(AUDIT_QUERY, query);
  if (!checked.ok) return checked;
  const { actor, entity, from, to, limit, cursor } = checked.value;
  const [, targetType, targetId] = entity === undefined ? [] : AUDIT_ENTITY.exec(entity)!;
  return { ok: true, value: { filter: definedOnly({ actor, targetType, targetId, from, to }), limit, before: cursor } };
}

/**
 * A request schema as JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), for the document:
 * what a caller sends, before any reshaping. Rules only code can check (an IP or CIDR, a cursor
 * this API gave) are left to the error messages.
 */
export function requestJsonSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, {
    io: "input",
    unrepresentable: "any",
    override: (ctx) => {
      const shown = shownAs.get(ctx.zodSchema);
      if (shown) {
        for (const key of Object.keys(ctx.jsonSchema)) delete (ctx.jsonSchema as Record<string, unknown>)[key];
        Object.assign(ctx.jsonSchema, requestJsonSchema(shown));
      }
      const rule = ruleOf(ctx.zodSchema);
      if (rule && ctx.jsonSchema.description === undefined) ctx.jsonSchema.description = rule;
    },
  });
  return json;
}
