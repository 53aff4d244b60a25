import {
  ADJUSTMENT,
  AUDIT_QUERY,
  BULK_RESEND,
  CHANNEL_PATCH,
  KEY_ROTATION,
  LEDGER_QUERY,
  NEW_CHANNEL,
  NEW_OPERATOR,
  NEW_ROUTE,
  OPERATOR_PATCH,
  ORDER_FILTER_QUERY,
  ORDER_PAGE_QUERY,
  REPORT_QUERY,
  RESOLUTION,
  ROUTE_PATCH,
  STATEMENT_QUERY,
  TOGGLE,
  UNACKNOWLEDGED_QUERY,
  type AdminAnswer,
  type AdminService,
  type CsvAnswer,
  type requestJsonSchema,
} from "@topup/core";
import { view, type JsonSchema } from "./admin-views";

/** A schema that validates an admin request, as admin-input defines it. */
export type RequestSchema = Parameters<typeof requestJsonSchema>[0];

/** What a handler is given: the request's parts, already read by the shell. */
export interface AdminCall {
  actor: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** The request's id (request-id.ts), carried into the jobs the call creates. */
  requestId: string;
}

/** A JSON answer, or (with `csv`) a CSV one line by line; a refusal of a CSV route is JSON. */
type Handler = (admin: AdminService, call: AdminCall) => Promise<AdminAnswer | CsvAnswer>;

export interface AdminRoute {
  method: "get" | "post" | "patch" | "delete";
  /** Express style: `/admin/operators/:uid`. */
  path: string;
  summary: string;
  tag: "operators" | "ledger" | "callbacks" | "audit" | "channels" | "routes" | "orders" | "reports";
  /** Each path parameter: what it names, and a value the examples go with. */
  params?: Record<string, { about: string; example: string }>;
  query?: RequestSchema;
  /** A query string the route accepts, shown as the parameters' examples. */
  queryExample?: Record<string, string>;
  body?: RequestSchema;
  /** The body may be left out altogether (it is then `{}`). */
  bodyOptional?: boolean;
  /** Bodies the route accepts, by name: shown in the document and sent to the live endpoint by the tests. */
  examples?: Record<string, { summary: string; value: unknown }>;
  /** The answers besides 400 and 401 (every route has those), by status: what each means, and the JSON it carries. */
  answers: Record<number, string | Shown>;
  /** The attachment's filename when the route answers a CSV. */
  csv?: string;
  /** The answer carries the next page's cursor in X-Next-Cursor. */
  nextCursorHeader?: true;
  handle: Handler;
}

export interface Shown {
  about: string;
  schema: JsonSchema;
}

const shows = (about: string, schema: JsonSchema): Shown => ({ about, schema });

const uid = { uid: { about: "the operator's uid", example: "3928857" } };
const code = { code: { about: "the channel's code", example: "manual-desk" } };
const routeId = { id: { about: "the route's id", example: "1" } };
const orderId = { id: { about: "the order's id", example: "1" } };

/** POST /admin/operators/:uid/disable and /enable, alike but for the switch. */
function toggle(enabled: boolean, summary: string, reason: string): AdminRoute {
  return {
    method: "post",
    path: `/admin/operators/:uid/${enabled ? "enable" : "disable"}`,
    summary,
    tag: "operators",
    params: uid,
    body: TOGGLE,
    bodyOptional: true,
    examples: { reason: { summary: "with a reason for the audit log", value: { reason } } },
    answers: { 200: shows("the operator as changed", view("Operator")), 404: "no such operator" },
    handle: (admin, { actor, params, body }) => admin.setEnabled(actor, params.uid, enabled, body),
  };
}

/**
 * Every admin API call (PROTOCOL §11), in the order the app registers them: Express takes the first
 * match, so a fixed path such as /admin/orders/export.csv comes before /admin/orders/:id.
 */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  {
    method: "post",
    path: "/admin/operators",
    summary: "Create an operator (a uid and md5key are generated when not given); the answer is the only one that shows the key",
    tag: "operators",
    body: NEW_OPERATOR,
    examples: {
      generated: { summary: "uid and key generated", value: { name: "运营商甲" } },
      given: {
        summary: "every setting given",
        value: { name: "运营商乙", uid: "3928857", md5key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0", rateBp: 9900, ipWhitelist: ["127.0.0.1", "10.0.0.0/8"], strictCarrier: true, faceValues: [1000, 5000], rateLimitPerSecond: 50 },
      },
    },
    answers: { 201: shows("the operator, with its md5key", view("OperatorWithKey")), 409: "an operator with that uid exists" },
    handle: (admin, { actor, body }) => admin.createOperator(actor, body),
  },
  { method: "get", path: "/admin/operators", summary: "List the operators", tag: "operators", answers: { 200: shows("the operators", view("Operator", true)) }, handle: (admin) => admin.listOperators() },
  { method: "get", path: "/admin/operators/:uid", summary: "One operator", tag: "operators", params: uid, answers: { 200: shows("the operator", view("Operator")), 404: "no such operator" }, handle: (admin, { params }) => admin.getOperator(params.uid) },
  {
    method: "patch",
    path: "/admin/operators/:uid",
    summary: "Change an operator's settings (not its uid or key)",
    tag: "operators",
    params: uid,
    body: OPERATOR_PATCH,
    examples: { rate: { summary: "a new rate and whitelist", value: { rateBp: 9800, ipWhitelist: ["192.0.2.0/24"], rateLimitPerSecond: null } } },
    answers: { 200: shows("the operator as changed", view("Operator")), 404: "no such operator" },
    handle: (admin, { actor, params, body }) => admin.updateOperator(actor, params.uid, body),
  },
  {
    method: "post",
    path: "/admin/operators/:uid/rotate-key",
    summary: "Give an operator a new md5key (generated when not given); with graceSeconds the previous one still verifies its requests that long",
    tag: "operators",
    params: uid,
    body: KEY_ROTATION,
    bodyOptional: true,
    examples: { grace: { summary: "a generated key, the old one valid for an hour", value: { graceSeconds: 3600 } } },
    answers: { 200: shows("the operator, with its new md5key", view("OperatorWithKey")), 404: "no such operator" },
    handle: (admin, { actor, params, body }) => admin.rotateKey(actor, params.uid, body),
  },
  {
    method: "post",
    path: "/admin/operators/:uid/adjustments",
    summary: "Post a balance adjustment: exactly one of income or expenditure, greater than 0 (fen)",
    tag: "ledger",
    params: uid,
    body: ADJUSTMENT,
    examples: { topUp: { summary: "a deposit of 1000 yuan", value: { income: 100000, record: "预存款 2026-12-06" } } },
    answers: { 201: shows("the ledger entry, with the balance after it", view("LedgerEntry")), 404: "no such operator" },
    handle: (admin, { actor, params, body }) => admin.adjustBalance(actor, params.uid, body),
  },
  toggle(false, "Disable an operator: its pushes and queries are refused; orders taken go on", "contract paused"),
  toggle(true, "Enable an operator again", "contract renewed"),
  {
    method: "post",
    path: "/admin/operators/:uid/resend-callbacks",
    summary: "Resend the failed callbacks of the operator's orders ended since `since`, at most `limit` per call; nextCursor goes on",
    tag: "callbacks",
    params: uid,
    body: BULK_RESEND,
    examples: { since: { summary: "since a day", value: { since: "2026-12-06T00:00:00+08:00", limit: 100 } } },
    answers: { 202: shows("how many were looked at and resent, and where to go on", view("BulkResend")), 404: "no such operator" },
    handle: (admin, { actor, params, body, requestId }) => admin.resendCallbacks(actor, params.uid, body, requestId),
  },
  {
    method: "get",
    path: "/admin/operators/:uid/ledger",
    summary: "The operator's ledger entries, newest first, each with the balance after it",
    tag: "ledger",
    params: uid,
    query: LEDGER_QUERY,
    queryExample: { limit: "20" },
    nextCursorHeader: true,
    answers: { 200: shows("the entries; X-Next-Cursor holds the next page's cursor when there is one", view("LedgerEntry", true)), 404: "no such operator" },
    handle: (admin, { params, query }) => admin.ledger(params.uid, query),
  },
  {
    method: "get",
    path: "/admin/callbacks/unacknowledged",
    summary: "Orders whose callback the operator has not acknowledged",
    tag: "callbacks",
    query: UNACKNOWLEDGED_QUERY,
    queryExample: { uid: "3928857", limit: "20" },
    answers: { 200: shows("a page of orders", view("OrderPage")) },
    handle: (admin, { query }) => admin.unacknowledgedCallbacks(query),
  },
  { method: "get", path: "/admin/audit", summary: "The audit log, newest first", tag: "audit", query: AUDIT_QUERY, queryExample: { actor: "admin:alice", entity: "operator:3928857", from: "2026-12-01T00:00:00+08:00", limit: "20" }, answers: { 200: shows("a page of audit entries", view("AuditPage")) }, handle: (admin, { query }) => admin.auditLog(query) },
  {
    method: "post",
    path: "/admin/channels",
    summary: "Create a channel; an upstream needs its whole config {baseUrl, uid, md5key}, no other kind takes one",
    tag: "channels",
    body: NEW_CHANNEL,
    examples: {
      manual: { summary: "a manual channel (staff resolve its orders)", value: { code: "manual-desk", kind: "manual", name: "人工处理", concurrency: 20 } },
      upstream: {
        summary: "another instance of this platform, chained",
        value: { code: "upstream-a", kind: "upstream", name: "上游甲", config: { baseUrl: "http://127.0.0.1:9088", uid: "100200", md5key: "0123456789abcdef0123456789abcdef" }, costBp: 9700 },
      },
    },
    answers: { 201: shows("the channel (its md5key never shown)", view("Channel")), 409: "a channel with that code exists" },
    handle: (admin, { actor, body }) => admin.createChannel(actor, body),
  },
  { method: "get", path: "/admin/channels", summary: "List the channels, with their health and orders in flight", tag: "channels", answers: { 200: shows("the channels", view("Channel", true)) }, handle: (admin) => admin.listChannels() },
  { method: "get", path: "/admin/channels/:code", summary: "One channel, with its health", tag: "channels", params: code, answers: { 200: shows("the channel", view("Channel")), 404: "no such channel" }, handle: (admin, { params }) => admin.getChannel(params.code) },
  {
    method: "patch",
    path: "/admin/channels/:code",
    summary: "Change a channel (not its code or kind); an upstream's config fields may come one by one; circuit may only be reset to closed",
    tag: "channels",
    params: code,
    body: CHANNEL_PATCH,
    examples: { limits: { summary: "new limits and a circuit reset", value: { enabled: true, concurrency: 10, costBp: 9600, circuit: "closed" } } },
    answers: { 200: shows("the channel as changed", view("Channel")), 404: "no such channel" },
    handle: (admin, { actor, params, body }) => admin.updateChannel(actor, params.code, body),
  },
  {
    method: "post",
    path: "/admin/routes",
    summary: "Create a route: which channels, in which tiers and weights, take the orders it matches",
    tag: "routes",
    body: NEW_ROUTE,
    examples: {
      codes: { summary: "channels by code, tried in order", value: { channels: ["manual-desk"] } },
      weighted: { summary: "for one operator's 话费 orders, weighted", value: { uid: "3928857", orderType: 1, channels: [{ code: "upstream-a", weight: 3, tier: 0 }, { code: "manual-desk", tier: 1 }], priority: 10, holdMs: 300000 } },
    },
    answers: { 201: shows("the route", view("Route")) },
    handle: (admin, { actor, body }) => admin.createRoute(actor, body),
  },
  { method: "get", path: "/admin/routes", summary: "List the routes", tag: "routes", answers: { 200: shows("the routes", view("Route", true)) }, handle: (admin) => admin.listRoutes() },
  {
    method: "patch",
    path: "/admin/routes/:id",
    summary: "Change a route; channels, when given, replaces the whole list",
    tag: "routes",
    params: routeId,
    body: ROUTE_PATCH,
    examples: { disable: { summary: "take a route out of use", value: { enabled: false, priority: -1 } } },
    answers: { 200: shows("the route as changed", view("Route")), 404: "no such route" },
    handle: (admin, { actor, params, body }) => admin.updateRoute(actor, params.id, body),
  },
  { method: "delete", path: "/admin/routes/:id", summary: "Delete a route", tag: "routes", params: routeId, answers: { 200: shows("the route deleted", view("Route")), 404: "no such route" }, handle: (admin, { actor, params }) => admin.deleteRoute(actor, params.id) },
  { method: "get", path: "/admin/orders", summary: "Orders, newest first, by filter", tag: "orders", query: ORDER_PAGE_QUERY, queryExample: { status: "4", from: "2026-12-06T00:00:00+08:00", to: "2026-12-07T00:00:00+08:00", limit: "100" }, answers: { 200: shows("a page of orders", view("OrderPage")) }, handle: (admin, { query }) => admin.listOrders(query) },
  {
    method: "get",
    path: "/admin/orders/export.csv",
    summary: "Every order the filters match, as CSV",
    tag: "orders",
    query: ORDER_FILTER_QUERY,
    queryExample: { uid: "3928857", callbackState: "failed" },
    csv: "orders.csv",
    answers: { 200: "the orders as CSV" },
    handle: (admin, { query }) => admin.exportOrders(query),
  },
  {
    method: "get",
    path: "/admin/reports/daily",
    summary: "Orders and amounts per Shanghai day and operator, as JSON or (format=csv) CSV",
    tag: "reports",
    query: REPORT_QUERY,
    queryExample: { from: "2026-12-01", to: "2026-12-07", format: "json" },
    csv: "daily-report.csv",
    answers: { 200: shows("the report, or its rows as CSV", view("DailyReport")) },
    handle: (admin, { query }) => admin.dailyReport(query),
  },
  {
    method: "get",
    path: "/admin/operators/:uid/statement",
    summary: "The operator's statement over Shanghai days, as JSON or (format=csv) CSV",
    tag: "ledger",
    params: uid,
    query: STATEMENT_QUERY,
    queryExample: { from: "2026-12-01", to: "2026-12-07" },
    csv: "statement.csv",
    answers: { 200: shows("the statement, or its lines as CSV", view("Statement")), 404: "no such operator" },
    handle: (admin, { params, query }) => admin.statement(params.uid, query),
  },
  {
    method: "get",
    path: "/admin/operators/:uid/statement.csv",
    summary: "The operator's statement as CSV",
    tag: "ledger",
    params: uid,
    query: STATEMENT_QUERY,
    queryExample: { from: "2026-12-01", to: "2026-12-07" },
    csv: "statement.csv",
    answers: { 200: "the statement's lines as CSV", 404: "no such operator" },
    handle: (admin, { params, query }) => admin.statement(params.uid, query, true),
  },
  { method: "get", path: "/admin/orders/:id", summary: "One order, with its channel attempts and callbacks", tag: "orders", params: orderId, answers: { 200: shows("the order", view("OrderDetail")), 404: "no such order" }, handle: (admin, { params }) => admin.getOrder(params.id) },
  {
    method: "post",
    path: "/admin/orders/:id/resolve",
    summary: "Move an order one legal step by hand (a manual channel's order, or one left at 2)",
    tag: "orders",
    params: orderId,
    body: RESOLUTION,
    examples: { failed: { summary: "the recharge failed", value: { status: 10, reason: "号码停机" } }, succeeded: { summary: "the recharge succeeded", value: { status: 4, mobileOrderNo: "CM20261206000123" } } },
    answers: { 200: shows("the order as moved", view("Order")), 404: "no such order", 409: "the order is not at a status this step leaves, or moved meanwhile" },
    handle: (admin, { actor, params, body, requestId }) => admin.resolveOrder(actor, params.id, body, requestId),
  },
  {
    method: "post",
    path: "/admin/orders/:id/resend-callback",
    summary: "Send an ended order's callback again",
    tag: "callbacks",
    params: orderId,
    answers: { 202: shows("the order, its callback pending", view("Order")), 404: "no such order", 409: "the order has not ended" },
    handle: (admin, { actor, params, requestId }) => admin.resendCallback(actor, params.id, requestId),
  },
];
