import type { Database } from "./client";
import { orderFromRow, type OrderRow } from "./order-rows";
import { idText, type CallbackAttemptRecord, type OrderRecord } from "./records";

export interface CallbackAttemptInput {
  orderId: string;
  round: number;
  attemptNo: number;
  status: number;
  startedAt: Date;
  httpStatus: number | null;
  bodyExcerpt: string | null;
  latencyMs: number;
  error: string | null;
  remoteAddress: string | null;
  acknowledged: boolean;
  /** The last attempt of the round: a failure closes the round as `failed`. */
  final: boolean;
}

/** Everything one callback attempt needs, read in one statement. */
export interface CallbackDelivery {
  order: OrderRecord;
  operatorUid: string;
  md5key: string;
  /** Attempts already made in the order's current round. */
  attemptsInRound: number;
}

/** Callback rounds and their attempts. A round is open while the order's callback_state is pending. */
export class CallbackRepository {
  constructor(private readonly db: Database) {}

  async loadDelivery(orderId: string): Promise<CallbackDelivery | null> {
    const rows = await this.db.query<OrderRow & { operator_uid: string; operator_md5_key: string; attempts_in_round: string }>(
      "callback_load_delivery",
      `SELECT o.*, op.uid AS operator_uid, op.md5_key AS operator_md5_key,
             (SELECT count(*) FROM callback_attempts a WHERE a.order_id = o.id AND a.round = o.callback_round) AS attempts_in_round
      FROM orders o JOIN operators op ON op.id = o.operator_id
      WHERE o.id = $1::bigint`,
      [orderId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    return { order: orderFromRow(row), operatorUid: row.operator_uid, md5key: row.operator_md5_key, attemptsInRound: Number(row.attempts_in_round) };
  }

  /** Stores one attempt and, in the same statement, closes the round when it is acked or finally failed. */
  async recordAttempt(a: CallbackAttemptInput): Promise<void> {
    await this.db.query(
      "callback_record_attempt",
      `WITH attempt AS (
        INSERT INTO callback_attempts (order_id, round, attempt_no, status, started_at, http_status, body_excerpt,
                                       latency_ms, error, remote_address, acknowledged)
        VALUES ($1::bigint, $2::integer, $3::integer, $4::smallint, $5, $6::integer, $7::varchar, $8::integer,
                $9::varchar, $10::varchar, $11::boolean)
        RETURNING order_id
      )
      UPDATE orders SET
        callback_state = CASE WHEN $11::boolean THEN 'acked' WHEN $12::boolean THEN 'failed' ELSE callback_state END,
        updated_at = now()
      FROM attempt
      WHERE orders.id = attempt.order_id AND orders.callback_round = $2::integer AND orders.callback_state = 'pending'`,
      [a.orderId, a.round, a.attemptNo, a.status, a.startedAt, a.httpStatus, a.bodyExcerpt?.slice(0, 1024) ?? null,
       Math.round(a.latencyMs), a.error?.slice(0, 512) ?? null, a.remoteAddress, a.acknowledged, a.final],
    );
  }

  /** Opens a new round for a terminal order (an administrator's resend). Returns the order, or null if not terminal. */
  async openNewRound(orderId: string): Promise<OrderRecord | null> {
    const rows = await this.db.query<OrderRow>(
      "callback_open_round",
      `UPDATE orders SET callback_state = 'pending', callback_round = callback_round + 1, updated_at = now()
      WHERE id = $1::bigint AND status IN (4, 9, 10)
      RETURNING *`,
      [orderId],
    );
    return rows.length === 1 ? orderFromRow(rows[0]) : null;
  }

  /** Closes a round as failed without a new attempt (its attempts were used up before a crash). */
  async closeRoundFailed(orderId: string, round: number): Promise<void> {
    await this.db.query(
      "callback_close_round_failed",
      `UPDATE orders SET callback_state = 'failed', updated_at = now()
      WHERE id = $1::bigint AND callback_round = $2::integer AND callback_state = 'pending'`,
      [orderId, round],
    );
  }

  async attempts(orderId: string): Promise<CallbackAttemptRecord[]> {
    const rows = await this.db.prisma.callbackAttempt.findMany({ where: { orderId: BigInt(orderId) }, orderBy: { id: "asc" } });
    return rows.map((r) => ({
      id: idText(r.id),
      orderId: idText(r.orderId),
      round: r.round,
      attemptNo: r.attemptNo,
      status: r.status,
      startedAt: r.startedAt,
      httpStatus: r.httpStatus,
      bodyExcerpt: r.bodyExcerpt,
      latencyMs: r.latencyMs,
      error: r.error,
      remoteAddress: r.remoteAddress,
      acknowledged: r.acknowledged,
    }));
  }
}
