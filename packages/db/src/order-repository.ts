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
  constructor(private readonly db: Database) {}

  /**
   * Stores a new order, or finds the one already stored under (operator, order_no). One statement:
   * the id, the serial number derived from it, and the creation history row commit atomically.
   * Concurrent identical pushes race on the unique key; losers see the winner's row.
   */
  async insert(order: NewOrder): Promise<InsertOutcome> {
    const rows = await this.db.query<OrderRow>(
      "order_insert",
      `WITH next AS (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id),
      created AS (
        INSERT INTO orders (id, serial_number, operator_id, order_no, order_type, mobile_type, phone_number,
                            face_value, settlement_rate_bp, notify_url, client_ip, next_check_at)
        SELECT next.id,
               to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(next.id::text, 10, '0'),
               $1::bigint, $2, $3::smallint, $4::smallint, $5, $6::integer, $7::integer, $8, $9, now()
        FROM next
        ON CONFLICT (operator_id, order_no) DO NOTHING
        RETURNING *
      ),
      history AS (
        INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at)
        SELECT id, NULL, ${OrderStatus.Created}, 'accepted', created_at FROM created
      )
      SELECT * FROM created`,
      [order.operatorId, order.orderNo, order.orderType, order.mobileType, order.phoneNumber, order.faceValue,
       order.settlementRateBp, order.notifyUrl, order.clientIp],
    );
    if (rows.length === 1) return { created: true, order: orderFromRow(rows[0]) };
    const existing = await this.findByOrderNo(order.operatorId, order.orderNo);
    if (!existing) throw new Error(`order ${order.orderNo} conflicted but cannot be found`);
    return { created: false, order: existing };
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
  async transition(orderId: string, from: OrderStatus, to: OrderStatus, patch: TransitionPatch = {}): Promise<OrderRecord | null> {
    if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
    const terminal = isTerminal(to);
    const settles = to === OrderStatus.Succeeded;
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
        SELECT id, $3::smallint, $2::smallint, $8::varchar, updated_at FROM moved
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
      [orderId, to, from, patch.channel ?? null, patch.mobileOrderNo ?? null, terminal ? null : (patch.nextCheckAt ?? null),
       terminal, patch.reason ?? null, settles],
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
