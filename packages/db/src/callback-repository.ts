import type { Database } from "./client";
import { orderFromRow, type OrderRow } from "./order-rows";
import { byId, canonicalId, idText, type CallbackAttemptRecord, type OrderRecord } from "./records";
import { statementBatch, unnestColumns } from "./statement-batch";
import type { BatchedCall } from "@topup/batching";
import { callbackRoundDueBy } from "@topup/protocol";

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
  /** When a round this attempt leaves open is due next (callbackRoundDueBy); ignored once it is closed. */
  nextCheckAt: Date;
}

/** Everything one callback attempt needs, read in one statement. */
export interface CallbackDelivery {
  order: OrderRecord;
  operatorUid: string;
  md5key: string;
  /** Attempts already made in the order's current round. */
  attemptsInRound: number;
}

/**
 * Text from a receiver, cut to the column's size. PostgreSQL cannot store NUL in text: a receiver
 * answering one made the record fail, the attempt went uncounted, and the round was tried again
 * without end. It is kept visible as U+FFFD.
 */
function storableText(text: string | null, max: number): string | null {
  return text === null ? null : text.replaceAll("\u0000", "\uFFFD").slice(0, max);
}

type DeliveryRow = OrderRow & { operator_uid: string; operator_md5_key: string; attempts_in_round: string };

/**
 * Callback rounds and their attempts. A round is open while the order's callback_state is pending;
 * meanwhile the order's next_check_at says by when its next attempt should have ended, and is
 * cleared when the round closes (the reconciler's work list, OrderRepository.findOverdue).
 */
export class CallbackRepository {
  /** The worker's callback jobs read and record in shared statements under load. */
  private readonly deliveries = statementBatch<string, CallbackDelivery | null>((calls) => this.loadBatch(calls));
  /** One order per statement at most (the update below matches attempts to orders by order id). */
  private readonly attemptRecords = statementBatch<CallbackAttemptInput, void>(
    (calls) => this.recordBatch(calls),
    (a) => canonicalId(a.orderId),
  );

  constructor(private readonly db: Database) {}

  loadDelivery(orderId: string): Promise<CallbackDelivery | null> {
    return this.deliveries.add(orderId);
  }

  private async loadBatch(calls: readonly BatchedCall<string, CallbackDelivery | null>[]): Promise<void> {
    const rows = await this.db.keyed<DeliveryRow>(
      "callback_load_delivery",
      `SELECT o.*, op.uid AS operator_uid, op.md5_key AS operator_md5_key,
             (SELECT count(*) FROM callback_attempts a WHERE a.order_id = o.id AND a.round = o.callback_round) AS attempts_in_round
      FROM orders o JOIN operators op ON op.id = o.operator_id
      WHERE o.id = ANY($1::bigint[])`,
      [calls.map((c) => c.input)],
    );
    const rowsById = new Map(rows.map((row) => [idText(row.id), row]));
    for (const call of calls) {
      const row = rowsById.get(canonicalId(call.input));
      call.resolve(
        row
          ? { order: orderFromRow(row), operatorUid: row.operator_uid, md5key: row.operator_md5_key, attemptsInRound: Number(row.attempts_in_round) }
          : null,
      );
    }
  }

  /** Stores one attempt and, in the same statement, closes the round when it is acked or finally failed. */
  recordAttempt(attempt: CallbackAttemptInput): Promise<void> {
    return this.attemptRecords.add(attempt);
  }

  private async recordBatch(calls: readonly BatchedCall<CallbackAttemptInput, void>[]): Promise<void> {
    const attempts = calls.map((c) => c.input).sort(byId((a) => a.orderId)); // row locks in id order (OrderRepository.insertBatch)
    await this.db.keyed(
      "callback_record_attempt",
      `WITH input AS (
        SELECT * FROM unnest($1::bigint[], $2::integer[], $3::integer[], $4::smallint[], $5::timestamptz[], $6::integer[],
                             $7::varchar[], $8::integer[], $9::varchar[], $10::varchar[], $11::boolean[], $12::boolean[],
                             $13::timestamptz[])
             AS a(order_id, round, attempt_no, status, started_at, http_status, body_excerpt, latency_ms, error,
                  remote_address, acknowledged, final, next_check_at)
      ),
      attempt AS (
        INSERT INTO callback_attempts (order_id, round, attempt_no, status, started_at, http_status, body_excerpt,
                                       latency_ms, error, remote_address, acknowledged)
        SELECT order_id, round, attempt_no, status, started_at, http_status, body_excerpt, latency_ms, error,
               remote_address, acknowledged
        FROM input
      )
      -- The insert runs to completion whether or not it is referenced (a failure fails the whole
      -- statement); not joining it leaves the planner the primary-key lookup per input row.
      UPDATE orders SET
        callback_state = CASE WHEN input.acknowledged THEN 'acked' WHEN input.final THEN 'failed' ELSE orders.callback_state END,
        next_check_at = CASE WHEN input.acknowledged OR input.final THEN NULL ELSE input.next_check_at END,
        updated_at = now()
      FROM input
      WHERE orders.id = input.order_id AND orders.callback_round = input.round AND orders.callback_state = 'pending'`,
      unnestColumns(
        attempts.map((a) => ({ ...a, bodyExcerpt: storableText(a.bodyExcerpt, 1024), latencyMs: Math.round(a.latencyMs), error: storableText(a.error, 512) })),
        ["orderId", "round", "attemptNo", "status", "startedAt", "httpStatus", "bodyExcerpt", "latencyMs", "error", "remoteAddress", "acknowledged", "final", "nextCheckAt"],
      ),
    );
    for (const call of calls) call.resolve();
  }

  /** Opens a new round for a terminal order (an administrator's resend). Returns the order, or null if not terminal. */
  async openNewRound(orderId: string): Promise<OrderRecord | null> {
    const [order] = await this.openNewRounds([orderId], false);
    return order ?? null;
  }

  /**
   * Opens a new round for each terminal order of `orderIds` (an administrator's resend, one or in
   * bulk) in one statement; `onlyFailed` skips any whose round is no longer `failed` (resent or
   * acknowledged meanwhile). Returns the orders opened.
   */
  async openNewRounds(orderIds: readonly string[], onlyFailed: boolean): Promise<OrderRecord[]> {
    if (orderIds.length === 0) return [];
    const rows = await this.db.query<OrderRow>(
      "callback_open_rounds",
      `UPDATE orders SET callback_state = 'pending', callback_round = callback_round + 1, updated_at = now(), next_check_at = $2::timestamptz
      WHERE id = ANY($1::bigint[]) AND status IN (4, 9, 10) AND (NOT $3::boolean OR callback_state = 'failed')
      RETURNING *`,
      [orderIds, callbackRoundDueBy(new Date(), 0, 0), onlyFailed],
    );
    return rows.map(orderFromRow).sort(byId((o) => o.id));
  }

  /**
   * Orders whose last callback round ended unacknowledged (callback_state failed), newest first,
   * optionally of one operator; `beforeId` continues a page. Read by orders_callback_failed_idx.
   */
  async failedPage(operatorId: string | null, beforeId: string | null, limit: number): Promise<OrderRecord[]> {
    const rows = await this.db.query<OrderRow>(
      operatorId === null ? "callback_failed_page" : "callback_failed_page_operator",
      `SELECT * FROM orders WHERE callback_state = 'failed' AND id < $1::bigint${operatorId === null ? "" : " AND operator_id = $3::bigint"}
      ORDER BY id DESC LIMIT $2`,
      operatorId === null ? [beforeId ?? "9223372036854775807", limit] : [beforeId ?? "9223372036854775807", limit, operatorId],
    );
    return rows.map(orderFromRow);
  }

  /** Ids of an operator's orders ended since `since` whose callback failed, oldest id first, above `afterId`. */
  async failedSince(operatorId: string, since: Date, afterId: string | null, limit: number): Promise<string[]> {
    const rows = await this.db.query<{ id: string }>(
      "callback_failed_since",
      `SELECT id FROM orders
      WHERE operator_id = $1::bigint AND callback_state = 'failed' AND id > $3::bigint AND finished_at >= $2::timestamptz
      ORDER BY id LIMIT $4`,
      [operatorId, since, afterId ?? "0", limit],
    );
    return rows.map((r) => idText(r.id));
  }

  /** Closes a round as failed without a new attempt (its attempts were used up before a crash). */
  async closeRoundFailed(orderId: string, round: number): Promise<void> {
    await this.db.query(
      "callback_close_round_failed",
      `UPDATE orders SET callback_state = 'failed', updated_at = now(), next_check_at = NULL
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
