/**
 * What the admin API answers, for the OpenAPI document: the main fields of each view of
 * packages/core/src/admin.ts, coarser than the requests (an answer is read, never validated here).
 */
export type JsonSchema = Record<string, unknown>;

const text: JsonSchema = { type: "string" };
const integer: JsonSchema = { type: "integer" };
const flag: JsonSchema = { type: "boolean" };
const time: JsonSchema = { type: "string", format: "date-time" };
/** Row ids are BIGINT: JSON carries them as text. */
const rowId: JsonSchema = { type: "string", pattern: "^[1-9]\\d*$" };
const orNull = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: "null" }] });
const listOf = (items: JsonSchema): JsonSchema => ({ type: "array", items });
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

function object(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: "object", properties, required: Object.keys(properties) };
}

const operator = {
  uid: text,
  name: text,
  rateBp: integer,
  ipWhitelist: listOf(text),
  enabled: flag,
  strictCarrier: flag,
  faceValues: listOf(integer),
  rateLimitPerSecond: orNull(integer),
  previousKeyUntil: { ...orNull(time), description: "until when the key before the last rotation still verifies; null: none" },
  accountId: rowId,
  createdAt: time,
  updatedAt: time,
};

const order = {
  id: rowId,
  serialNumber: text,
  operatorId: rowId,
  orderNo: text,
  orderType: integer,
  mobileType: integer,
  phoneNumber: text,
  faceValue: { ...integer, description: "fen" },
  status: { ...integer, description: "PROTOCOL §6" },
  statusName: text,
  channel: orNull(text),
  mobileOrderNo: orNull(text),
  callbackState: { type: "string", enum: ["none", "pending", "acked", "failed"] },
  createdAt: time,
  finishedAt: orNull(time),
};

const page = (item: string): JsonSchema => object({ items: listOf(ref(item)), nextCursor: { ...orNull(text), description: "the cursor of the next page; null on the last" } });

/** Named in components.schemas; routes refer to them with `view(name)`. */
export const VIEWS = {
  Error: { ...object({ error: text }), description: "every refusal: what was wrong, in one sentence" },
  Operator: object(operator),
  OperatorWithKey: object({ ...operator, md5key: text }),
  LedgerEntry: object({ id: rowId, kind: { type: "string", enum: ["order_income", "manual"] }, record: text, orderId: orNull(rowId), payMoney: integer, income: integer, expenditure: integer, balanceAfter: integer, createdAt: time }),
  Channel: object({
    code: text,
    kind: { type: "string", enum: ["upstream", "manual", "simulator"] },
    name: text,
    enabled: flag,
    config: { ...orNull(object({ baseUrl: text, uid: text })), description: "an upstream's; never its md5key" },
    concurrency: orNull(integer),
    costBp: integer,
    balance: orNull(integer),
    balanceReadAt: orNull(time),
    circuit: object({ state: { type: "string", enum: ["closed", "open", "half_open"] }, openedAt: orNull(time), consecutiveFailures: integer, consecutiveSuccesses: integer }),
    health: { type: "object", description: "the sliding window's calls, success rate and orders in flight" },
  }),
  Route: object({
    id: rowId,
    uid: orNull(text),
    orderType: orNull(integer),
    mobileType: orNull(integer),
    faceValues: orNull(listOf(integer)),
    priority: integer,
    enabled: flag,
    holdMs: integer,
    channels: listOf(object({ code: text, tier: integer, weight: integer })),
    createdAt: time,
    updatedAt: time,
  }),
  Order: object(order),
  OrderDetail: object({ ...order, transitions: listOf({ type: "object" }), callbackAttempts: listOf({ type: "object" }), channelAttempts: listOf({ type: "object" }) }),
  OrderPage: page("Order"),
  AuditEntry: object({ id: rowId, actor: text, action: text, targetType: text, targetId: text, entity: text, before: {}, after: {}, createdAt: time }),
  AuditPage: page("AuditEntry"),
  BulkResend: object({ since: time, limit: integer, looked: integer, resent: integer, nextCursor: orNull(text) }),
  Statement: object({ uid: text, from: text, to: text, timeZone: text, opening: integer, income: integer, expenditure: integer, closing: integer, days: listOf({ type: "object" }) }),
  DailyReport: object({ from: text, to: text, timeZone: text, rows: listOf({ type: "object" }), totals: { type: "object" } }),
} satisfies Record<string, JsonSchema>;

export type ViewName = keyof typeof VIEWS;

/** A view, or a list of them. */
export function view(name: ViewName, list = false): JsonSchema {
  return list ? listOf(ref(name)) : ref(name);
}
