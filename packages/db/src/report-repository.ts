import type { Database } from "./client";
import { safeNumber } from "./records";

/** One day (Asia/Shanghai), operator and channel of the daily report. Money in fen. */
export interface DailyReportRow {
  day: string;
  uid: string;
  channel: string | null;
  /** Orders that reached 4 that day. */
  orders: number;
  /** Orders that ended unfulfilled that day (9 or 10): no money moved. */
  failed: number;
  faceValue: number;
  /** The 订单收款 entries of the day's successes (PROTOCOL §8). */
  income: number;
  /** What the channels charged for them (their attempts' cost_fen). */
  cost: number;
  margin: number;
}

interface Row {
  day: string;
  uid: string;
  channel: string | null;
  orders: number;
  failed: number;
  face_value: string;
  income: string;
  cost: string;
}

/** Figures ops settle with: what each operator's orders brought and what each channel cost. */
export class ReportRepository {
  constructor(private readonly db: Database) {}

  /** Orders by the Shanghai day they ended on, from `fromDay` to `toDay` inclusive (YYYY-MM-DD). */
  async daily(fromDay: string, toDay: string): Promise<DailyReportRow[]> {
    const rows = await this.db.query<Row>(
      "report_daily",
      `SELECT to_char(o.finished_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day, op.uid, o.channel,
              count(*) FILTER (WHERE o.status = 4)::int AS orders,
              count(*) FILTER (WHERE o.status <> 4)::int AS failed,
              coalesce(sum(o.face_value) FILTER (WHERE o.status = 4), 0)::text AS face_value,
              coalesce(sum(le.income), 0)::text AS income,
              coalesce(sum(a.cost_fen) FILTER (WHERE o.status = 4), 0)::text AS cost
       FROM orders o
       JOIN operators op ON op.id = o.operator_id
       LEFT JOIN ledger_entries le ON le.order_id = o.id AND le.kind = 'order_income'
       LEFT JOIN channel_attempts a ON a.order_id = o.id AND a.channel_code = o.channel
       WHERE o.status IN (4, 9, 10)
         AND o.finished_at >= ($1::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
         AND o.finished_at < ($2::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
       GROUP BY 1, 2, 3
       ORDER BY 1, 2, 3 NULLS FIRST`,
      [fromDay, toDay],
    );
    return rows.map((r) => {
      const income = safeNumber(r.income);
      const cost = safeNumber(r.cost);
      return { day: r.day, uid: r.uid, channel: r.channel, orders: r.orders, failed: r.failed, faceValue: safeNumber(r.face_value), income, cost, margin: income - cost };
    });
  }
}
