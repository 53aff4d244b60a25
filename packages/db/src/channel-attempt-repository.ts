import type { Database } from "./client";
import type { ChannelAttempt } from "./generated/prisma/client";
import { idText, safeNumber, type ChannelAttemptRecord } from "./records";

function attemptFromRow(row: ChannelAttempt): ChannelAttemptRecord {
  return {
    id: idText(row.id),
    orderId: idText(row.orderId),
    channelCode: row.channelCode,
    attemptNo: row.attemptNo,
    outcome: row.outcome,
    answer: row.answer,
    startedAt: row.startedAt,
    answeredAt: row.answeredAt,
    finishedAt: row.finishedAt,
    costFen: row.costFen === null ? null : safeNumber(row.costFen),
  };
}

/** The channels an order was placed with, one row each (each channel at most once per order). */
export class ChannelAttemptRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records that the order goes to `channelCode` now, as its next attempt (`pending`). Null when
   * the order was already tried with that channel: the table holds each channel once per order.
   */
  async start(orderId: string, channelCode: string): Promise<ChannelAttemptRecord | null> {
    const rows = await this.db.prisma.$queryRaw<{ id: bigint }[]>`
      INSERT INTO channel_attempts (order_id, channel_code, attempt_no)
      SELECT ${BigInt(orderId)}, ${channelCode}, coalesce(max(attempt_no), 0) + 1 FROM channel_attempts WHERE order_id = ${BigInt(orderId)}
      ON CONFLICT (order_id, channel_code) DO NOTHING
      RETURNING id`;
    if (rows.length === 0) return null;
    return attemptFromRow(await this.db.prisma.channelAttempt.findUniqueOrThrow({ where: { id: rows[0].id } }));
  }

  /** The order's attempts, first first. */
  async listForOrder(orderId: string): Promise<ChannelAttemptRecord[]> {
    const rows = await this.db.prisma.channelAttempt.findMany({ where: { orderId: BigInt(orderId) }, orderBy: { attemptNo: "asc" } });
    return rows.map(attemptFromRow);
  }
}
