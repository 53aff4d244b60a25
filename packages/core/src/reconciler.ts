import type { Logger } from "@topup/config";
import type { OrderRepository } from "@topup/db";
import type { FulfilmentScheduler } from "./fulfilment";

export interface ReconcilerOptions {
  /** How long past its planned time an order may wait before its work is considered lost. */
  graceMs: number;
  batchSize: number;
}

/**
 * Rebuilds lost queue work from the database, the source of truth: orders whose planned
 * fulfilment step is overdue (Redis restarted empty, an enqueue failed, a worker died between
 * commit and enqueue) and terminal orders whose callback round is still open. Job ids make this
 * idempotent: work that still exists in Redis is not added twice (for steps batched into one job,
 * see overdueBefore).
 */
export class Reconciler {
  constructor(
    private readonly orders: OrderRepository,
    private readonly scheduler: FulfilmentScheduler,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions = { graceMs: 15_000, batchSize: 500 },
  ) {}

  async runOnce(now = new Date()): Promise<{ fulfilment: number; callbacks: number }> {
    const before = new Date(now.getTime() - this.options.graceMs);
    const overdue = await this.orders.findOverdue(await this.overdueBefore(before), this.options.batchSize);
    const pending = await this.orders.findPendingCallbacks(before, this.options.batchSize);
    for (const order of [...overdue, ...pending]) await this.scheduler.scheduleNext(order);
    if (overdue.length + pending.length > 0) {
      this.logger.info("reconciled", { fulfilment: overdue.length, callbacks: pending.length });
    }
    return { fulfilment: overdue.length, callbacks: pending.length };
  }

  /**
   * Planned steps older than this are taken for lost. While the workers are behind, an order's
   * step can be queued for longer than the grace without being lost — and new orders stored
   * together share one job, whose id the reconciler cannot know, so re-adding their steps is not a
   * no-op: it would add work to a queue that is already behind. Steps planned since (the oldest
   * waiting job − the grace) may still be queued and are left to it; once the queue has drained, or
   * after Redis lost it (nothing waits), the plain grace applies again.
   */
  private async overdueBefore(before: Date): Promise<Date> {
    const since = await this.scheduler.backlogSince().catch(() => null); // Redis down: the enqueues fail anyway
    if (since === null) return before;
    const queuedFrom = new Date(since.getTime() - this.options.graceMs);
    return queuedFrom < before ? queuedFrom : before;
  }
}
