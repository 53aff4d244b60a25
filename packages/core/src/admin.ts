import { randomBytes, randomInt } from "node:crypto";
import type { Logger } from "@topup/config";
import {
  DuplicateOperatorError,
  type AuditRepository,
  type CallbackRepository,
  type LedgerRepository,
  type OperatorRecord,
  type OperatorRepository,
  type OrderRecord,
  type OrderRepository,
} from "@topup/db";
import { OrderStatus, STATUS_NAMES } from "@topup/protocol";
import { checkAdjustment, checkKeyRotation, checkNewOperator, checkOperatorPatch, checkResolution } from "./admin-input";
import type { FulfilmentScheduler } from "./fulfilment";
import type { OperatorDirectory } from "./operator-directory";

/** An admin API answer: HTTP status and a JSON-serialisable body. */
export interface AdminAnswer {
  status: number;
  body: unknown;
}

export interface AdminDeps {
  operators: OperatorRepository;
  directory: OperatorDirectory;
  orders: OrderRepository;
  ledger: LedgerRepository;
  callbacks: CallbackRepository;
  audit: AuditRepository;
  scheduler: FulfilmentScheduler;
  logger: Logger;
}

const bad = (error: string): AdminAnswer => ({ status: 400, body: { error } });
const ORDER_ID = /^[1-9]\d{0,15}$/;
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
    accountId: op.accountId,
    createdAt: op.createdAt.toISOString(),
    updatedAt: op.updatedAt.toISOString(),
  };
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

/** 7 to 10 digits, never starting with 0 (PROTOCOL §11). */
function generateUid(): string {
  return String(randomInt(1_000_000, 10_000_000_000));
}

function generateKey(): string {
  return randomBytes(16).toString("hex");
}

/** Administration: operators, manual ledger adjustments, order resolution and callback resends. Every change is audited. */
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

  async rotateKey(actor: string, uid: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkKeyRotation(body);
    if (!checked.ok) return bad(checked.error);
    const changed = await this.deps.operators.update(uid, { md5key: checked.value.md5key ?? generateKey() });
    if (!changed) return notFound(`operator ${uid}`);
    this.deps.directory.forget(uid);
    // The audit trail says that the key changed, never what it is.
    await this.audit(actor, "operator.rotate-key", uid, { md5key: "[previous]" }, { md5key: "[rotated]" });
    return { status: 200, body: operatorView(changed.after, true) };
  }

  async adjustBalance(actor: string, uid: string, body: unknown): Promise<AdminAnswer> {
    const checked = checkAdjustment(body);
    if (!checked.ok) return bad(checked.error);
    const operator = await this.deps.operators.findByUid(uid);
    if (!operator) return notFound(`operator ${uid}`);
    const entry = await this.deps.ledger.postAdjustment(operator.accountId, checked.value);
    if (!entry) return notFound(`account of operator ${uid}`);
    const view = { ...entry, createdAt: entry.createdAt.toISOString() };
    await this.audit(actor, "ledger.adjust", uid, null, view);
    return { status: 201, body: view };
  }

  async ledger(uid: string): Promise<AdminAnswer> {
    const operator = await this.deps.operators.findByUid(uid);
    if (!operator) return notFound(`operator ${uid}`);
    const entries = await this.deps.ledger.entries(operator.accountId);
    return { status: 200, body: entries.map((e) => ({ ...e, createdAt: e.createdAt.toISOString() })) };
  }

  async getOrder(id: string): Promise<AdminAnswer> {
    if (!ORDER_ID.test(id)) return notFound(`order ${id}`);
    const order = await this.deps.orders.findById(id);
    if (!order) return notFound(`order ${id}`);
    const [transitions, attempts] = await Promise.all([this.deps.orders.history(id), this.deps.callbacks.attempts(id)]);
    return {
      status: 200,
      body: {
        ...orderView(order),
        transitions: transitions.map((t) => ({ from: t.fromStatus, to: t.toStatus, reason: t.reason, at: t.createdAt.toISOString() })),
        callbackAttempts: attempts.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
      },
    };
  }

  /** Settles an order a channel left at 2 网厅支付中 (e.g. sandbox …0002) as 4 or 10, through the state machine. */
  async resolveOrder(actor: string, id: string, body: unknown): Promise<AdminAnswer> {
    if (!ORDER_ID.test(id)) return notFound(`order ${id}`);
    const checked = checkResolution(body);
    if (!checked.ok) return bad(checked.error);
    const order = await this.deps.orders.findById(id);
    if (!order) return notFound(`order ${id}`);
    if (order.status !== OrderStatus.Paying) {
      return { status: 409, body: { error: `order is at ${order.status} ${STATUS_NAMES[order.status]}; only orders at 2 can be resolved` } };
    }
    const moved = await this.deps.orders.transition(id, OrderStatus.Paying, checked.value.status, {
      reason: `resolved by ${actor}${checked.value.reason ? `: ${checked.value.reason}` : ""}`,
    });
    if (!moved) return { status: 409, body: { error: "order moved meanwhile; look again" } };
    await this.audit(actor, "order.resolve", id, { status: order.status }, { status: moved.status });
    await this.deps.scheduler.scheduleNext(moved);
    return { status: 200, body: orderView(moved) };
  }

  async resendCallback(actor: string, id: string): Promise<AdminAnswer> {
    if (!ORDER_ID.test(id)) return notFound(`order ${id}`);
    const order = await this.deps.callbacks.openNewRound(id);
    if (!order) return { status: 409, body: { error: "only orders in a terminal status (4, 9, 10) have a callback" } };
    await this.audit(actor, "callback.resend", id, null, { round: order.callbackRound });
    await this.deps.scheduler.scheduleNext(order);
    return { status: 202, body: orderView(order) };
  }

  private audit(actor: string, action: string, targetId: string, before: unknown, after: unknown): Promise<void> {
    const targetType = action.split(".")[0];
    return this.deps.audit.record({ actor, action, targetType, targetId, before, after });
  }
}
