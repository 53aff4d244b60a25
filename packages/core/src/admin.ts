import { randomBytes, randomInt } from "node:crypto";
import type { Logger } from "@topup/config";
import {
  DuplicateChannelError,
  DuplicateOperatorError,
  UnknownChannelError,
  type AuditRepository,
  type CallbackRepository,
  type ChannelAttemptRecord,
  type ChannelAttemptRepository,
  type ChannelRecord,
  type ChannelRepository,
  type ChannelSlotRepository,
  type LedgerEntryRecord,
  type LedgerRepository,
  type OperatorRecord,
  type OperatorRepository,
  type OrderRecord,
  type OrderSearch,
  type ReportRepository,
  type OrderRepository,
  type RouteRecord,
  type RouteRepository,
} from "@topup/db";
import { canTransition, OrderStatus, STATUS_NAMES } from "@topup/protocol";
import {
  checkAdjustment,
  checkAuditQuery,
  checkBulkResend,
  checkChannelPatch,
  checkKeyRotation,
  checkLedgerQuery,
  checkNewChannel,
  checkNewOperator,
  checkNewRoute,
  checkOperatorPatch,
  checkOrderQuery,
  checkReportQuery,
  checkResolution,
  checkStatementQuery,
  checkToggle,
  checkUnacknowledgedQuery,
  idCursor,
  orderCursor,
  checkRoutePatch,
} from "./admin-input";
import type { ChannelHealth } from "./channel-health";
import type { FulfilmentScheduler } from "./fulfilment";
import type { OperatorDirectory } from "./operator-directory";

/** An export: the CSV's lines (header first, each ending CRLF), produced as they are read. */
export type CsvAnswer = { status: 200; lines: AsyncIterable<string> } | AdminAnswer;

/** An admin API answer: HTTP status and a JSON-serialisable body (and headers, e.g. a page's next cursor). */
export interface AdminAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface AdminDeps {
  operators: OperatorRepository;
  directory: OperatorDirectory;
  orders: OrderRepository;
  ledger: LedgerRepository;
  callbacks: CallbackRepository;
  channels: ChannelRepository;
  routes: RouteRepository;
  channelAttempts: ChannelAttemptRepository;
  search: OrderSearch;
  reports: ReportRepository;
  audit: AuditRepository;
  scheduler: FulfilmentScheduler;
  /** Channels' sliding windows (GET /admin/channels…) and circuit resets; slots held (orders in flight). */
  health: ChannelHealth;
  slots: ChannelSlotRepository;
  logger: Logger;
}

const bad = (error: string): AdminAnswer => ({ status: 400, body: { error } });
/** Ids of orders and routes in a path: anything else names no row. */
const ROW_ID = /^[1-9]\d{0,15}$/;
const notFound = (what: string): AdminAnswer => ({ status: 404, body: { error: `${what} not found` } });

/** The operator as the admin API shows it; the md5 key only where it is being handed over. */
export function operatorView(op: OperatorRecord, withKey = false) {
  return {
    uid: op.uid,
    name: op.name,
    ...(withKey ? { md5key: op.md5key } : {}),
    rateBp: op.rateBp,
    ipWhitelist: op.ipWhitelist,
    enabled: op.enabled,
    strictCarrier: op.strictCarrier,
    faceValues: op.faceValues,
    rateLimitPerSecond: op.rateLimitPerSecond,
    // Until when the key before the last rotation still verifies (never the key itself); null: none.
    previousKeyUntil: op.previousKeyUntil && op.previousKeyUntil.getTime() > Date.now() ? op.previousKeyUntil.toISOString() : null,
    accountId: op.accountId,
    createdAt: op.createdAt.toISOString(),
    updatedAt: op.updatedAt.toISOString(),
  };
}

const REPORT_COLUMNS = ["day", "uid", "channel", "orders", "failed", "faceValue", "income", "cost", "margin"] as const;

const ORDER_CSV_COLUMNS = [
  "id", "serialNumber", "operatorId", "orderNo", "orderType", "mobileType", "phoneNumber", "faceValue", "status", "statusName",
  "channel", "mobileOrderNo", "callbackState", "createdAt", "finishedAt",
] as const;

/**
 * One CSV record (RFC 4180, CRLF). A text field a spreadsheet would run as a formula (=, +, -, @ first)
 * is prefixed with ' (OWASP's CSV injection rule). Eight lines instead of a CSV library's dependency.
 */
export function csvLine(fields: readonly unknown[]): string {
  return `${fields
    .map((field) => {
      if (field === null || field === undefined) return "";
      let text = String(field);
      if (typeof field === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
    })
    .join(",")}\r\n`;
}

const STATEMENT_CSV_COLUMNS = ["day", "line", "entryId", "createdAt", "kind", "record", "orderId", "payMoney", "income", "expenditure", "balance"] as const;

/** A JSON statement lists every entry in memory; beyond this many a CSV (streamed) or a shorter range. */
export const STATEMENT_JSON_MAX_ENTRIES = 10_000;

function entryView(entry: LedgerEntryRecord) {
  return { ...entry, createdAt: entry.createdAt.toISOString() };
}

function orderView(order: OrderRecord) {
  return {
    id: order.id,
    serialNumber: order.serialNumber,
    operatorId: order.operatorId,
    orderNo: order.orderNo,
    orderType: order.orderType,
    mobileType: order.mobileType,
    phoneNumber: order.phoneNumber,
    faceValue: order.faceValue,
    settlementRateBp: order.settlementRateBp,
    notifyUrl: order.notifyUrl,
    status: order.status,
    statusName: STATUS_NAMES[order.status],
    channel: order.channel,
    mobileOrderNo: order.mobileOrderNo,
    callbackState: order.callbackState,
    callbackRound: order.callbackRound,
    nextCheckAt: order.nextCheckAt?.toISOString() ?? null,
    createdAt: order.createdAt.toISOString(),
    finishedAt: order.finishedAt?.toISOString() ?? null,
  };
}

/** A channel as the admin API shows it: never its md5key. */
function channelView(channel: ChannelRecord) {
  return {
    code: channel.code,
    kind: channel.kind,
    name: channel.name,
    enabled: channel.enabled,
    config: channel.config && { baseUrl: channel.config.baseUrl, uid: channel.config.uid },
    concurrency: channel.concurrency,
    costBp: channel.costBp,
    balance: channel.balance,
    balanceReadAt: channel.balanceReadAt?.toISOString() ?? null,
    circuit: {
      state: channel.circuitState,
      openedAt: channel.circuitOpenedAt?.toISOString() ?? null,
      consecutiveFailures: channel.consecutiveFailures,
      consecutiveSuccesses: channel.consecutiveSuccesses,
    },
    createdAt: channel.createdAt.toISOString(),
    updatedAt: channel.updatedAt.toISOString(),
  };
}

/** The audit trail says that an upstream has a key and when it changed, never what it is. */
function channelAuditView(channel: ChannelRecord, md5key: "[set]" | "[previous]" | "[rotated]") {
  const view = channelView(channel);
  return view.config ? { ...view, config: { ...view.config, md5key } } : view;
}

function routeView(route: RouteRecord) {
  return { ...route, createdAt: route.createdAt.toISOString(), updatedAt: route.updatedAt.toISOString() };
}

function channelAttemptView(attempt: ChannelAttemptRecord) {
  return {
    ...attempt,
    startedAt: attempt.startedAt.toISOString(),
    answeredAt: attempt.answeredAt?.toISOString() ?? null,
    finishedAt: attempt.finishedAt?.toISOString() ?? null,
  };
}

/** 7 to 10 digits, never starting with 0 (PROTOCOL §11). */
function generateUid(): string {
  return String(randomInt(1_000_000, 10_000_000_000));
}

function generateKey(): string {
  return randomBytes(16).toString("hex");
}

/**
 * Administration: operators, manual ledger adjustments, order resolution, callback resends,
 * channels and routes. Every change is audited.
 */
export class AdminService {
  constructor(private readonly deps: AdminDeps) {}

  async createOperator(actor: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkNewOperator(body);
    if (!checked.ok) return bad(checked.error);
    const input = checked.value;
    for (let attempt = 0; ; attempt++) {
      const uid = input.uid ?? generateUid();
      try {
        const operator = await this.deps.operators.create({
          uid,
          name: input.name,
          md5key: input.md5key ?? generateKey(),
          rateBp: input.rateBp ?? 10_000,
          ipWhitelist: input.ipWhitelist ?? [],
          enabled: input.enabled ?? true,
          strictCarrier: input.strictCarrier ?? false,
          faceValues: input.faceValues ?? [],
          rateLimitPerSecond: input.rateLimitPerSecond ?? null,
        });
        this.deps.directory.forget(operator.uid); // this process may have cached the uid as unknown
        await this.audit(actor, "operator.create", operator.uid, null, operatorView(operator));
        return { status: 201, body: operatorView(operator, true) };
      } catch (error) {
        if (!(error instanceof DuplicateOperatorError)) throw error;
        if (input.uid !== undefined) return { status: 409, body: { error: `operator ${uid} exists` } };
        if (attempt >= 5) throw error;
      }
    }
  }

  async listOperators(): Promise<AdminAnswer> {
    const operators = await this.deps.operators.list();
    return { status: 200, body: operators.map((op) => operatorView(op)) };
  }

  async getOperator(uid: string): Promise<AdminAnswer> {
    const operator = await this.deps.operators.findByUid(uid);
    return operator ? { status: 200, body: operatorView(operator) } : notFound(`operator ${uid}`);
  }

  async updateOperator(actor: string, uid: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkOperatorPatch(body);
    if (!checked.ok) return bad(checked.error);
    const changed = await this.deps.operators.update(uid, checked.value);
    if (!changed) return notFound(`operator ${uid}`);
    this.deps.directory.forget(uid);
    await this.audit(actor, "operator.update", uid, operatorView(changed.before), operatorView(changed.after));
    return { status: 200, body: operatorView(changed.after) };
  }

  /**
   * POST /admin/operators/:uid/disable and /enable: the operator's pushes and queries are refused
   * (运营商不存在或已停用) or accepted again in every process within the directory's TTL. Orders
   * already taken go on, and their callbacks are still sent.
   */
  async setEnabled(actor: string, uid: string, enabled: boolean, body: unknown): Promise<AdminAnswer> {
    const checked = checkToggle(body);
    if (!checked.ok) return bad(checked.error);
    const changed = await this.deps.operators.update(uid, { enabled });
    if (!changed) return notFound(`operator ${uid}`);
    this.deps.directory.forget(uid);
    await this.audit(
      actor,
      enabled ? "operator.enable" : "operator.disable",
      uid,
      { enabled: changed.before.enabled },
      { enabled: changed.after.enabled, reason: checked.value.reason ?? null },
    );
    return { status: 200, body: operatorView(changed.after) };
  }

  /**
   * A new key (given or generated), in force at once: callbacks are signed with it from now on.
   * With `graceSeconds` the replaced key still verifies the operator's requests until then.
   */
  async rotateKey(actor: string, uid: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkKeyRotation(body);
    if (!checked.ok) return bad(checked.error);
    const graceSeconds = checked.value.graceSeconds ?? 0;
    const changed = await this.deps.operators.rotateKey(uid, checked.value.md5key ?? generateKey(), graceSeconds);
    if (!changed) return notFound(`operator ${uid}`);
    this.deps.directory.forget(uid);
    // The audit trail says that the key changed and for how long the old one holds, never what either is.
    await this.audit(
      actor,
      "operator.rotate-key",
      uid,
      { md5key: "[previous]" },
      { md5key: "[rotated]", graceSeconds, previousKeyUntil: changed.after.previousKeyUntil?.toISOString() ?? null },
    );
    return { status: 200, body: operatorView(changed.after, true) };
  }

  async adjustBalance(actor: string, uid: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkAdjustment(body);
    if (!checked.ok) return bad(checked.error);
    const operator = await this.deps.operators.findByUid(uid);
    if (!operator) return notFound(`operator ${uid}`);
    const entry = await this.deps.ledger.postAdjustment(operator.accountId, checked.value);
    if (!entry) return notFound(`account of operator ${uid}`);
    const view = entryView(entry);
    await this.audit(actor, "ledger.adjust", uid, null, view);
    return { status: 201, body: view };
  }

  /**
   * GET /admin/operators/:uid/ledger: entries newest first, each with the running balance after it
   * (balanceAfter). The body stays the list it always was; the next page's cursor is in X-Next-Cursor.
   */
  async ledger(uid: string, query: Record<string, unknown> = {}): Promise<AdminAnswer> {
    const checked = checkLedgerQuery(query);
    if (!checked.ok) return bad(checked.error);
    const operator = await this.deps.operators.findByUid(uid);
    if (!operator) return notFound(`operator ${uid}`);
    const { limit, before } = checked.value;
    const entries = await this.deps.ledger.entries(operator.accountId, limit + 1, before);
    const page = entries.slice(0, limit);
    const next = entries.length > limit ? idCursor("l", page[page.length - 1].id) : null;
    return { status: 200, body: page.map(entryView), headers: next ? { "X-Next-Cursor": next } : {} };
  }

  /**
   * GET /admin/operators/:uid/statement: per Shanghai day the opening balance, the day's entries
   * and its closing balance (opening + Σincome − Σexpenditure), as JSON or as CSV (streamed).
   */
  async statement(uid: string, query: Record<string, unknown>, csv = false): Promise<CsvAnswer> {
    const checked = checkStatementQuery(query, csv);
    if (!checked.ok) return bad(checked.error);
    const { from, to, format } = checked.value;
    const operator = await this.deps.operators.findByUid(uid);
    if (!operator) return notFound(`operator ${uid}`);
    const { opening, days, lastId } = await this.deps.ledger.statementDays(operator.accountId, from, to);
    let balance = opening;
    const balances = days.map((day) => {
      const dayOpening = balance;
      balance += day.income - day.expenditure;
      return { ...day, opening: dayOpening, closing: balance };
    });
    // The entries of the totals' snapshot only: one posted meanwhile would make a day not add up.
    const entries = this.deps.ledger.statementEntries(operator.accountId, from, to, lastId);
    if (format === "csv") {
      async function* lines(): AsyncGenerator<string> {
        yield csvLine(STATEMENT_CSV_COLUMNS);
        let pending = await entries.next();
        for (const day of balances) {
          yield csvLine([day.day, "opening", null, null, null, null, null, null, null, null, day.opening]);
          for (; !pending.done && pending.value.day === day.day; pending = await entries.next()) {
            const e = pending.value;
            yield csvLine([day.day, "entry", e.id, e.createdAt.toISOString(), e.kind, e.record, e.orderId, e.payMoney, e.income, e.expenditure, e.balanceAfter]);
          }
          yield csvLine([day.day, "closing", null, null, null, null, null, null, day.income, day.expenditure, day.closing]);
        }
      }
      return { status: 200, lines: lines() };
    }
    const count = days.reduce((n, day) => n + day.entries, 0);
    if (count > STATEMENT_JSON_MAX_ENTRIES) {
      return bad(`the range holds ${count} entries, more than a JSON statement lists (${STATEMENT_JSON_MAX_ENTRIES}); ask for format=csv or fewer days`);
    }
    const byDay = new Map<string, ReturnType<typeof entryView>[]>(days.map((day) => [day.day, []]));
    for await (const { day, ...entry } of entries) byDay.get(day)?.push(entryView(entry));
    const sum = (key: "income" | "expenditure") => days.reduce((n, day) => n + day[key], 0);
    return {
      status: 200,
      body: {
        uid,
        from,
        to,
        timeZone: "Asia/Shanghai",
        opening,
        income: sum("income"),
        expenditure: sum("expenditure"),
        closing: balance,
        days: balances.map((day) => ({ ...day, entries: byDay.get(day.day) ?? [] })),
      },
    };
  }

  /** GET /admin/orders (PROTOCOL §11): a page of the matching orders, newest first. */
  async listOrders(query: Record<string, unknown>): Promise<AdminAnswer> {
    const checked = checkOrderQuery(query);
    if (!checked.ok) return bad(checked.error);
    const { filter, limit, before } = checked.value;
    const page = await this.deps.search.page(filter, limit, before);
    return { status: 200, body: { items: page.items.map(orderView), nextCursor: page.nextBefore === null ? null : orderCursor(page.nextBefore) } };
  }

  /** GET /admin/orders/export.csv: every match, streamed from the database a page at a time. */
  async exportOrders(query: Record<string, unknown>): Promise<CsvAnswer> {
    const checked = checkOrderQuery(query, false);
    if (!checked.ok) return bad(checked.error);
    const orders = this.deps.search.all(checked.value.filter);
    async function* lines(): AsyncGenerator<string> {
      yield csvLine(ORDER_CSV_COLUMNS);
      for await (const order of orders) {
        const view = orderView(order);
        yield csvLine(ORDER_CSV_COLUMNS.map((column) => view[column]));
      }
    }
    return { status: 200, lines: lines() };
  }

  /**
   * GET /admin/reports/daily: per Shanghai day an order ended on, operator and channel — succeeded
   * and failed orders, face value, income (订单收款), channel cost and margin, with totals; or as CSV.
   */
  async dailyReport(query: Record<string, unknown>): Promise<CsvAnswer> {
    const checked = checkReportQuery(query);
    if (!checked.ok) return bad(checked.error);
    const rows = await this.deps.reports.daily(checked.value.from, checked.value.to);
    if (checked.value.format === "csv") {
      const lines = [csvLine(REPORT_COLUMNS), ...rows.map((row) => csvLine(REPORT_COLUMNS.map((column) => row[column])))];
      return { status: 200, lines: (async function* () { yield* lines; })() };
    }
    const totals = { orders: 0, failed: 0, faceValue: 0, income: 0, cost: 0, margin: 0 };
    for (const row of rows) for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += row[key];
    return { status: 200, body: { from: checked.value.from, to: checked.value.to, timeZone: "Asia/Shanghai", rows, totals } };
  }

  async getOrder(id: string): Promise<AdminAnswer> {
    if (!ROW_ID.test(id)) return notFound(`order ${id}`);
    const order = await this.deps.orders.findById(id);
    if (!order) return notFound(`order ${id}`);
    const [transitions, attempts, channelAttempts] = await Promise.all([
      this.deps.orders.history(id),
      this.deps.callbacks.attempts(id),
      this.deps.channelAttempts.listForOrder(id),
    ]);
    return {
      status: 200,
      body: {
        ...orderView(order),
        transitions: transitions.map((t) => ({ from: t.fromStatus, to: t.toStatus, reason: t.reason, at: t.createdAt.toISOString() })),
        callbackAttempts: attempts.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
        channelAttempts: channelAttempts.map(channelAttemptView),
      },
    };
  }

  /**
   * Staff move an order one legal step of the state machine (PROTOCOL §11, §12): an order held by a
   * manual channel 6 → 0 → 2 → 4, or → 10 from any of those; an order any channel left at 2 (e.g.
   * sandbox …0002) → 4 or 10. The order's channel attempt records the step; reaching 4 or 10 ends it.
   * The work it plans (the callback) carries the admin call's `requestId`, as do resends'.
   */
  async resolveOrder(actor: string, id: string, body: unknown, requestId: string): Promise<AdminAnswer> {
    if (!ROW_ID.test(id)) return notFound(`order ${id}`);
    const checked = checkResolution(body);
    if (!checked.ok) return bad(checked.error);
    const { status, mobileOrderNo, reason } = checked.value;
    const order = await this.deps.orders.findById(id);
    if (!order) return notFound(`order ${id}`);
    const channel = order.channel ? await this.deps.channels.findByCode(order.channel) : null;
    const manual = channel?.kind === "manual";
    const from = order.status;
    const resolvable = manual ? from === OrderStatus.Placing || from === OrderStatus.Unpaid || from === OrderStatus.Paying : from === OrderStatus.Paying;
    if (!resolvable) {
      const which = "orders at 2, or held by a manual channel at 6, 0 or 2";
      return { status: 409, body: { error: `order is at ${from} ${STATUS_NAMES[from]}; only ${which} can be resolved` } };
    }
    if (!canTransition(from, status)) {
      return { status: 409, body: { error: `order is at ${from} ${STATUS_NAMES[from]}; it cannot move to ${status} ${STATUS_NAMES[status]}` } };
    }
    const why = `resolved by ${actor}${reason ? `: ${reason}` : ""}`;
    const final = status === OrderStatus.Succeeded || status === OrderStatus.Failed;
    const outcome = status === OrderStatus.Succeeded ? "succeeded" : status === OrderStatus.Failed ? "failed" : "placed";
    // No next check: a manual order is driven by staff alone, and 4 or 10 plan their callback.
    const moved = await this.deps.orders.transitionPath(id, from, [{ to: status, reason: why }], {
      fromChannel: order.channel,
      mobileOrderNo,
      attempt: order.channel ? { channel: order.channel, outcome, answer: why, final } : undefined,
    });
    if (!moved) return { status: 409, body: { error: "order moved meanwhile; look again" } };
    await this.audit(actor, "order.resolve", id, { status: from, mobileOrderNo: order.mobileOrderNo }, { status: moved.status, mobileOrderNo: moved.mobileOrderNo, reason: reason ?? null });
    await this.deps.scheduler.scheduleNext(moved, requestId);
    return { status: 200, body: orderView(moved) };
  }

  async resendCallback(actor: string, id: string, requestId: string): Promise<AdminAnswer> {
    if (!ROW_ID.test(id)) return notFound(`order ${id}`);
    const [order] = await this.reopenCallbacks([id], false, requestId);
    if (!order) return { status: 409, body: { error: "only orders in a terminal status (4, 9, 10) have a callback" } };
    await this.audit(actor, "callback.resend", id, null, { round: order.callbackRound });
    return { status: 202, body: orderView(order) };
  }

  /** GET /admin/callbacks/unacknowledged: orders whose callback round ended without an acknowledgement, newest first. */
  async unacknowledgedCallbacks(query: Record<string, unknown>): Promise<AdminAnswer> {
    const checked = checkUnacknowledgedQuery(query);
    if (!checked.ok) return bad(checked.error);
    const { uid, limit, before } = checked.value;
    let operatorId: string | null = null;
    if (uid !== undefined) {
      const operator = await this.deps.operators.findByUid(uid);
      if (!operator) return notFound(`operator ${uid}`);
      operatorId = operator.id;
    }
    const orders = await this.deps.callbacks.failedPage(operatorId, before, limit + 1);
    const page = orders.slice(0, limit);
    return { status: 200, body: { items: page.map(orderView), nextCursor: orders.length > limit ? idCursor("u", page[page.length - 1].id) : null } };
  }

  /**
   * POST /admin/operators/:uid/resend-callbacks: a new round for each of the operator's orders ended
   * since `since` whose callback failed, at most `limit` per call in id order; `nextCursor` (null
   * when none are left) continues after the last one looked at. One audit row per call.
   */
  async resendCallbacks(actor: string, uid: string, body: unknown, requestId: string): Promise<AdminAnswer> {
    const checked = checkBulkResend(body);
    if (!checked.ok) return bad(checked.error);
    const operator = await this.deps.operators.findByUid(uid);
    if (!operator) return notFound(`operator ${uid}`);
    const { since, limit, after } = checked.value;
    const ids = await this.deps.callbacks.failedSince(operator.id, since, after, limit);
    // Orders resent or acknowledged between the read and the update are left as they are.
    const opened = await this.reopenCallbacks(ids, true, requestId);
    const nextCursor = ids.length === limit ? idCursor("r", ids[ids.length - 1]) : null;
    const result = { since: since.toISOString(), limit, looked: ids.length, resent: opened.length, nextCursor };
    await this.audit(actor, "operator.resend-callbacks", uid, null, { ...result, orderIds: opened.map((o) => o.id) });
    return { status: 202, body: result };
  }

  /** The one way a callback is sent again, for one order or many: a new round each, enqueued. */
  private async reopenCallbacks(ids: readonly string[], onlyFailed: boolean, requestId: string): Promise<OrderRecord[]> {
    const orders = await this.deps.callbacks.openNewRounds(ids, onlyFailed);
    // Side by side: the queue shares a round trip among enqueues made together. The rounds are
    // committed; one whose enqueue failed is found by the reconciler from its next_check_at.
    const enqueued = await Promise.allSettled(orders.map((order) => this.deps.scheduler.scheduleNext(order, requestId)));
    const failed = enqueued.filter((r) => r.status === "rejected");
    if (failed.length > 0) this.deps.logger.warn("callback resend: enqueue failed, left to the reconciler", { requestId, orders: failed.length, error: failed[0].reason });
    return orders;
  }

  /** GET /admin/audit: the audit log newest first, by actor, entity and time. */
  async auditLog(query: Record<string, unknown>): Promise<AdminAnswer> {
    const checked = checkAuditQuery(query);
    if (!checked.ok) return bad(checked.error);
    const { filter, limit, before } = checked.value;
    const rows = await this.deps.audit.search(filter, limit + 1, before);
    const page = rows.slice(0, limit);
    return {
      status: 200,
      body: {
        items: page.map((r) => ({ ...r, entity: `${r.targetType}:${r.targetId}`, createdAt: r.createdAt.toISOString() })),
        nextCursor: rows.length > limit ? idCursor("a", page[page.length - 1].id) : null,
      },
    };
  }

  async createChannel(actor: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkNewChannel(body);
    if (!checked.ok) return bad(checked.error);
    const input = checked.value;
    try {
      const channel = await this.deps.channels.create({
        code: input.code,
        kind: input.kind,
        name: input.name ?? input.code,
        enabled: input.enabled ?? true,
        config: input.config ?? null,
        concurrency: input.concurrency ?? null,
        costBp: input.costBp ?? 0,
      });
      await this.audit(actor, "channel.create", channel.code, null, channelAuditView(channel, "[set]"));
      return { status: 201, body: channelView(channel) };
    } catch (error) {
      if (error instanceof DuplicateChannelError) return { status: 409, body: { error: error.message } };
      throw error;
    }
  }

  /** Every channel, each with a summary of its health: its window's calls and success rate, its orders in flight. */
  async listChannels(): Promise<AdminAnswer> {
    const channels = await this.deps.channels.list();
    const health = await this.healthOf(channels);
    return {
      status: 200,
      body: channels.map((channel, i) => {
        const { window, calls, successRate, inFlight } = health[i];
        return { ...channelView(channel), health: { window, calls, successRate, inFlight } };
      }),
    };
  }

  /** The channel with its circuit, last known balance and health over the sliding window (docs/channels.md). */
  async getChannel(code: string): Promise<AdminAnswer> {
    const channel = await this.deps.channels.findByCode(code);
    if (!channel) return notFound(`channel ${code}`);
    const [health] = await this.healthOf([channel]);
    return { status: 200, body: { ...channelView(channel), health } };
  }

  private async healthOf(channels: readonly ChannelRecord[]) {
    const codes = channels.map((c) => c.code);
    const limited = channels.filter((c) => c.concurrency !== null).map((c) => c.code);
    const [figures, held] = await Promise.all([this.deps.health.figures(codes), limited.length > 0 ? this.deps.slots.held(limited) : new Map<string, number>()]);
    return channels.map((channel) => ({
      ...this.deps.health.view(channel, figures?.get(channel.code) ?? null),
      // Counted where it is kept: a channel with a concurrency limit (its held slots); null without one.
      inFlight: channel.concurrency === null ? null : (held.get(channel.code) ?? 0),
    }));
  }

  async updateChannel(actor: string, code: string, body: unknown): Promise<AdminAnswer> {
    const channel = await this.deps.channels.findByCode(code);
    if (!channel) return notFound(`channel ${code}`);
    const checked = checkChannelPatch(body, channel.kind); // a channel's kind never changes
    if (!checked.ok) return bad(checked.error);
    const changed = await this.deps.channels.update(code, checked.value);
    if (!changed) return notFound(`channel ${code}`);
    // A reset starts the channel afresh, like a probation that closed it: the calls before no longer count.
    if (checked.value.circuit === "closed") await this.deps.health.forget(code);
    const rotated = changed.md5keyChanged;
    await this.audit(
      actor,
      "channel.update",
      code,
      channelAuditView(changed.before, rotated ? "[previous]" : "[set]"),
      channelAuditView(changed.after, rotated ? "[rotated]" : "[set]"),
    );
    return { status: 200, body: channelView(changed.after) };
  }

  async createRoute(actor: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkNewRoute(body);
    if (!checked.ok) return bad(checked.error);
    const input = checked.value;
    return this.unknownChannelIsBad(async () => {
      const route = await this.deps.routes.create({
        uid: input.uid ?? null,
        orderType: input.orderType ?? null,
        mobileType: input.mobileType ?? null,
        faceValues: input.faceValues ?? null,
        priority: input.priority ?? 0,
        enabled: input.enabled ?? true,
        holdMs: input.holdMs ?? 600_000,
        channels: input.channels,
      });
      await this.audit(actor, "route.create", route.id, null, routeView(route));
      return { status: 201, body: routeView(route) };
    });
  }

  async listRoutes(): Promise<AdminAnswer> {
    const routes = await this.deps.routes.list();
    return { status: 200, body: routes.map(routeView) };
  }

  async updateRoute(actor: string, id: string, body: unknown): Promise<AdminAnswer> {
    if (!ROW_ID.test(id)) return notFound(`route ${id}`);
    const checked = checkRoutePatch(body);
    if (!checked.ok) return bad(checked.error);
    return this.unknownChannelIsBad(async () => {
      const changed = await this.deps.routes.update(id, checked.value);
      if (!changed) return notFound(`route ${id}`);
      await this.audit(actor, "route.update", changed.after.id, routeView(changed.before), routeView(changed.after));
      return { status: 200, body: routeView(changed.after) };
    });
  }

  async deleteRoute(actor: string, id: string): Promise<AdminAnswer> {
    if (!ROW_ID.test(id)) return notFound(`route ${id}`);
    const deleted = await this.deps.routes.delete(id);
    if (!deleted) return notFound(`route ${id}`);
    await this.audit(actor, "route.delete", deleted.id, routeView(deleted), null);
    return { status: 200, body: routeView(deleted) };
  }

  /** A route naming a channel that does not exist is the caller's mistake: 400. */
  private async unknownChannelIsBad(write: () => Promise<AdminAnswer>): Promise<AdminAnswer> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof UnknownChannelError) return bad(error.message);
      throw error;
    }
  }

  private audit(actor: string, action: string, targetId: string, before: unknown, after: unknown): Promise<void> {
    const targetType = action.split(".")[0];
    return this.deps.audit.record({ actor, action, targetType, targetId, before, after });
  }
}
