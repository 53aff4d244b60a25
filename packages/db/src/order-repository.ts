import { canTransition, isTerminal, OrderStatus } from "@topup/protocol";
import type { Database } from "./client";
import { orderFromRow, type OrderRow } from "./order-rows";
import { idText, type OrderRecord, type OrderTransitionRecord } from "./records";

export interface NewOrder {
  operatorId: string;
  orderNo: string;
  orderType: number;
  mobileType: number;
  phoneNumber: string;
  faceValue: number;
  settlementRateBp: number;
  notifyUrl: string;
  clientIp: string | null;
}

export type InsertOutcome = { created: true; order: OrderRecord } | { created: false; order: OrderRecord };

export interface TransitionPatch {
  channel?: string;
  mobileOrderNo?: string;
  reason?: string;
  /** When fulfilment should look at the order next; ignored (cleared) for terminal statuses. */
  nextCheckAt?: Date | null;
}

/** One step of a transition path: the status it moves to and why. */
export interface TransitionStep {
  to: OrderStatus;
  reason?: string;
}

interface PendingInsert {
  order: NewOrder;
  resolve: (outcome: InsertOutcome) => void;
  reject: (error: unknown) => void;
}

/** Orders per insert statement; beyond it a batch is sent at once rather than at the end of the turn. */
const MAX_INSERT_BATCH = 200;

function orderKey(operatorId: string, orderNo: string): string {
  return `${operatorId} ${orderNo}`; // operator ids are digits: the first space ends them
}

function insertColumns(orders: readonly NewOrder[]): unknown[][] {
  return [
    orders.map((o) => o.operatorId),
    orders.map((o) => o.orderNo),
    orders.map((o) => o.orderType),
    orders.map((o) => o.mobileType),
    orders.map((o) => o.phoneNumber),
    orders.map((o) => o.faceValue),
    orders.map((o) => o.settlementRateBp),
    orders.map((o) => o.notifyUrl),
    orders.map((o) => o.clientIp),
  ];
}

/** PostgreSQL's data exception (22xxx) and integrity violation (23xxx) classes: a problem of the rows, not of the database. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
}

export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  constructor(readonly from: OrderStatus, readonly to: OrderStatus) {
    super(`order status cannot move from ${from} to ${to}`);
  }
}

/**
 * Orders and their lifecycle. Every status change goes through `transition`, which checks the
 * protocol's transition table and applies the change as ONE conditional statement
 * (`WHERE status = from`): a replayed or duplicated job finds the status already moved and changes
 * nothing. The history row, and for status 4 the ledger entry, are written by the same statement,
 * so they commit or vanish together.
 */
export class OrderRepository {
  /** Orders waiting for the end of this event-loop turn to be inserted together. */
  private readonly pendingInserts: PendingInsert[] = [];

  constructor(private readonly db: Database) {}

  /**
   * Stores a new order, or finds the one already stored under (operator, order_no). Resolves only
   * once the row has committed. Orders stored within one turn of the event loop go to the database
   * together, as ONE statement (see insertBatch): under load that is one round trip and one commit
   * (one WAL flush) for many orders, and alone it costs what a single insert did.
   */
  insert(order: NewOrder): Promise<InsertOutcome> {
    return new Promise((resolve, reject) => {
      this.pendingInserts.push({ order, resolve, reject });
      if (this.pendingInserts.length >= MAX_INSERT_BATCH) this.flushInserts();
      else if (this.pendingInserts.length === 1) setImmediate(() => this.flushInserts());
    });
  }

  private flushInserts(): void {
    const batch = this.pendingInserts.splice(0);
    // insertBatch settles every order itself; this only guards against an unexpected throw
    // (settling an already settled promise again does nothing).
    this.insertBatch(batch).catch((error: unknown) => batch.forEach((p) => p.reject(error)));
  }

  /**
   * One statement for the batch: each row's id, the serial number derived from it, and its creation
   * history row commit atomically. A conflict on (operator, order_no) — a repeated push, also one
   * racing in another process or in the same batch — inserts nothing, and the stored row is then read
   * by its key (the statement's snapshot may predate it). If the statement fails on the data of some
   * row, every order of the batch is retried on its own, so one bad row never fails the others.
   */
  private async insertBatch(batch: PendingInsert[]): Promise<void> {
    if (batch.length === 0) return;
    let rows: OrderRow[];
    try {
      rows = await this.db.query<OrderRow>(
        "order_insert",
        `WITH input AS (
          SELECT i.*, nextval(pg_get_serial_sequence('orders', 'id')) AS id
          FROM unnest($1::bigint[], $2::varchar[], $3::smallint[], $4::smallint[], $5::varchar[], $6::integer[],
                      $7::integer[], $8::varchar[], $9::varchar[])
               AS i(operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp, notify_url, client_ip)
        ),
        created AS (
          INSERT INTO orders (id, serial_number, operator_id, order_no, order_type, mobile_type, phone_number,
                              face_value, settlement_rate_bp, notify_url, client_ip, next_check_at)
          SELECT id, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(id::text, 10, '0'),
                 operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp,
                 notify_url, client_ip, now()
          FROM input
          ON CONFLICT (operator_id, order_no) DO NOTHING
          RETURNING *
        ),
        history AS (
          INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at)
          SELECT id, NULL, ${OrderStatus.Created}, 'accepted', created_at FROM created
        )
        SELECT * FROM created`,
        insertColumns(batch.map((p) => p.order)),
      );
    } catch (error) {
      if (batch.length > 1 && isDataError(error)) {
        await Promise.all(batch.map((p) => this.insertBatch([p])));
        return;
      }
      for (const p of batch) p.reject(error);
      return;
    }
    const created = new Map(rows.map((row) => [orderKey(idText(row.operator_id), row.order_no), row]));
    await Promise.all(
      batch.map(async (p) => {
        const key = orderKey(p.order.operatorId, p.order.orderNo);
        const row = created.get(key);
        if (row) {
          created.delete(key); // a second push of the same key in this batch is a repeat
          return p.resolve({ created: true, order: orderFromRow(row) });
        }
        try {
          const existing = await this.findByOrderNo(p.order.operatorId, p.order.orderNo);
          if (!existing) throw new Error(`order ${p.order.orderNo} conflicted but cannot be found`);
          p.resolve({ created: false, order: existing });
        } catch (error) {
          p.reject(error);
        }
      }),
    );
  }

  async findById(id: string): Promise<OrderRecord | null> {
    const rows = await this.db.query<OrderRow>("order_by_id", "SELECT * FROM orders WHERE id = $1::bigint", [id]);
    return rows.length === 1 ? orderFromRow(rows[0]) : null;
  }

  async findByOrderNo(operatorId: string, orderNo: string): Promise<OrderRecord | null> {
    const rows = await this.db.query<OrderRow>(
      "order_by_order_no",
      "SELECT * FROM orders WHERE operator_id = $1::bigint AND order_no = $2",
      [operatorId, orderNo],
    );
    return rows.length === 1 ? orderFromRow(rows[0]) : null;
  }

  /**
   * Moves an order from `from` to `to` if, and only if, it is still at `from`. Returns the updated
   * order, or null when the order was not at `from` (already moved by another run of the same job).
   * Reaching a terminal status opens callback round 1; reaching 4 settles the order in the ledger.
   */
  transition(orderId: string, from: OrderStatus, to: OrderStatus, patch: TransitionPatch = {}): Promise<OrderRecord | null> {
    return this.transitionPath(orderId, from, [{ to, reason: patch.reason }], patch);
  }

  /**
   * Moves an order along consecutive transitions (from → steps[0] → steps[1] …) in ONE conditional
   * statement: every step is checked against the transition table first, the order lands on the
   * last step only if it is still at `from`, and each step gets its own history row (in step order).
   * Used when several moves are learned at once (a channel that answers without delay), so they
   * cost one round trip and one commit instead of one per step. Each step carries its own reason.
   */
  async transitionPath(
    orderId: string,
    from: OrderStatus,
    steps: readonly TransitionStep[],
    patch: Omit<TransitionPatch, "reason"> = {},
  ): Promise<OrderRecord | null> {
    if (steps.length === 0) throw new Error("a transition path needs at least one step");
    const froms: OrderStatus[] = [];
    let at = from;
    for (const step of steps) {
      if (!canTransition(at, step.to)) throw new IllegalTransitionError(at, step.to);
      froms.push(at);
      at = step.to;
    }
    const terminal = isTerminal(at);
    const settles = at === OrderStatus.Succeeded;
    const rows = await this.db.query<OrderRow>(
      "order_transition",
      `WITH moved AS (
        UPDATE orders SET
          status = $2::smallint,
          updated_at = now(),
          channel = COALESCE($4::varchar, channel),
          mobile_order_no = COALESCE($5::varchar, mobile_order_no),
          finished_at = CASE WHEN $7::boolean THEN now() ELSE finished_at END,
          next_check_at = $6::timestamptz,
          callback_state = CASE WHEN $7::boolean THEN 'pending' ELSE callback_state END,
          callback_round = CASE WHEN $7::boolean THEN 1 ELSE callback_round END
        WHERE id = $1::bigint AND status = $3::smallint
        RETURNING *
      ),
      history AS (
        INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at)
        SELECT moved.id, step.from_status, step.to_status, step.reason, moved.updated_at
        FROM moved CROSS JOIN unnest($10::smallint[], $11::smallint[], $8::varchar[]) WITH ORDINALITY
             AS step(from_status, to_status, reason, n)
        ORDER BY step.n
      ),
      income AS (
        SELECT moved.id AS order_id, moved.operator_id, moved.face_value::bigint AS pay_money,
               moved.face_value::bigint * moved.settlement_rate_bp / 10000 AS amount, moved.updated_at
        FROM moved WHERE $9::boolean
      ),
      account AS (
        UPDATE accounts SET balance = accounts.balance + income.amount
        FROM income WHERE accounts.operator_id = income.operator_id
        RETURNING accounts.id, accounts.balance, income.order_id, income.pay_money, income.amount, income.updated_at
      ),
      entry AS (
        INSERT INTO ledger_entries (account_id, kind, order_id, record, pay_money, income, expenditure, balance_after, created_at)
        SELECT id, 'order_income', order_id, '订单收款', pay_money, amount, 0, balance, updated_at FROM account
      )
      SELECT * FROM moved`,
      [orderId, at, from, patch.channel ?? null, patch.mobileOrderNo ?? null, terminal ? null : (patch.nextCheckAt ?? null),
       terminal, steps.map((s) => s.reason ?? null), settles, froms, steps.map((s) => s.to)],
    );
    return rows.length === 1 ? orderFromRow(rows[0]) : null;
  }

  async history(orderId: string): Promise<OrderTransitionRecord[]> {
    const rows = await this.db.prisma.orderTransition.findMany({ where: { orderId: BigInt(orderId) }, orderBy: { id: "asc" } });
    return rows.map((r) => ({
      id: idText(r.id),
      orderId: idText(r.orderId),
      fromStatus: r.fromStatus as OrderStatus | null,
      toStatus: r.toStatus as OrderStatus,
      reason: r.reason,
      createdAt: r.createdAt,
    }));
  }

  /**
   * Records that a look at the order changed nothing and when the next one is due — only if the
   * order is still at `status` and still planned for `expectedDue` (a stale replay changes nothing).
   */
  async reschedule(orderId: string, status: OrderStatus, expectedDue: Date | null, nextCheckAt: Date | null): Promise<boolean> {
    const rows = await this.db.query(
      "order_reschedule",
      `UPDATE orders SET next_check_at = $4::timestamptz
      WHERE id = $1::bigint AND status = $2::smallint AND next_check_at IS NOT DISTINCT FROM $3::timestamptz
      RETURNING id`,
      [orderId, status, expectedDue, nextCheckAt],
    );
    return rows.length === 1;
  }

  /** Orders whose planned fulfilment step is overdue by more than the grace: the reconciler's work list. */
  async findOverdue(overdueBefore: Date, limit: number): Promise<OrderRecord[]> {
    const rows = await this.db.query<OrderRow>(
      "order_overdue",
      "SELECT * FROM orders WHERE next_check_at < $1 ORDER BY next_check_at LIMIT $2",
      [overdueBefore, limit],
    );
    return rows.map(orderFromRow);
  }

  /** Terminal orders whose callback round is still open, untouched since before `olderThan`. */
  async findPendingCallbacks(olderThan: Date, limit: number): Promise<OrderRecord[]> {
    const rows = await this.db.query<OrderRow>(
      "order_pending_callbacks",
      "SELECT * FROM orders WHERE callback_state = 'pending' AND updated_at < $1 ORDER BY updated_at LIMIT $2",
      [olderThan, limit],
    );
    return rows.map(orderFromRow);
  }
}
