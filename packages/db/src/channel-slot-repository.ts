import type { Database } from "./client";

/**
 * The concurrency slots of channels that have a limit (PROTOCOL §12), shared by every worker
 * process: the database hands each free slot to one order at a time (FOR UPDATE SKIP LOCKED).
 */
export class ChannelSlotRepository {
  constructor(private readonly db: Database) {}

  /**
   * A slot of `channelCode` for the order: the one it already holds, or a free one below the
   * channel's concurrency. False when every slot is taken.
   */
  async claim(channelCode: string, orderId: string): Promise<boolean> {
    const rows = await this.db.query<{ slot_no: number }>(
      "channel_slot_claim",
      `WITH held AS (
         SELECT slot_no FROM channel_slots WHERE channel_code = $1 AND order_id = $2::bigint
       ),
       free AS (
         SELECT s.slot_no FROM channel_slots s JOIN channels c ON c.code = s.channel_code
         WHERE s.channel_code = $1 AND s.order_id IS NULL AND s.slot_no < c.concurrency AND NOT EXISTS (SELECT 1 FROM held)
         ORDER BY s.slot_no LIMIT 1
         FOR UPDATE OF s SKIP LOCKED
       ),
       taken AS (
         UPDATE channel_slots SET order_id = $2::bigint, claimed_at = now()
         FROM free WHERE channel_slots.channel_code = $1 AND channel_slots.slot_no = free.slot_no
         RETURNING channel_slots.slot_no
       )
       SELECT slot_no FROM held UNION ALL SELECT slot_no FROM taken`,
      [channelCode, orderId],
    );
    return rows.length > 0;
  }

  /** Gives the order's slot of `channelCode` back (a placement that did not happen). */
  async release(channelCode: string, orderId: string): Promise<void> {
    await this.db.query("channel_slot_release", "UPDATE channel_slots SET order_id = NULL, claimed_at = NULL WHERE channel_code = $1 AND order_id = $2::bigint", [channelCode, orderId]);
  }

  /**
   * Frees slots whose order is no longer with that channel (its attempt ended, or it never began:
   * a worker died between the claim and the placement), claimed at least `graceMs` ago; and
   * removes free slots beyond a lowered concurrency. Resolves to how many were freed.
   */
  async sweep(graceMs: number): Promise<number> {
    const freed = await this.db.query<{ n: number }>(
      "channel_slot_sweep",
      `WITH freed AS (
         UPDATE channel_slots s SET order_id = NULL, claimed_at = NULL
         WHERE s.order_id IS NOT NULL AND s.claimed_at < now() - $1 * interval '1 millisecond'
           AND NOT EXISTS (SELECT 1 FROM channel_attempts a
                           WHERE a.order_id = s.order_id AND a.channel_code = s.channel_code AND a.finished_at IS NULL)
         RETURNING 1
       ),
       shrunk AS (
         DELETE FROM channel_slots s USING channels c
         WHERE c.code = s.channel_code AND s.order_id IS NULL AND s.slot_no >= coalesce(c.concurrency, 0)
       )
       SELECT count(*)::int AS n FROM freed`,
      [graceMs],
    );
    return freed[0].n;
  }

  /** Slots held per channel (its orders in flight; channels with a limit only): those with none are left out. */
  async held(codes: readonly string[]): Promise<Map<string, number>> {
    const rows = await this.db.query<{ channel_code: string; n: number }>(
      "channel_slots_held",
      "SELECT channel_code, count(*)::int AS n FROM channel_slots WHERE order_id IS NOT NULL AND channel_code = ANY($1::varchar[]) GROUP BY channel_code",
      [codes],
    );
    return new Map(rows.map((row) => [row.channel_code, row.n]));
  }
}
