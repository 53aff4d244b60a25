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
 * idempotent: work that still exists in Redis is not added twice.
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
    const overdue = await this.orders.findOverdue(before, this.options.batchSize);
    const pending = await this.orders.findPendingCallbacks(before, this.options.batchSize);
    for (const order of [...overdue, ...pending]) await this.scheduler.scheduleNext(order);
    if (overdue.length + pending.length > 0) {
      this.logger.info("reconciled", { fulfilment: overdue.length, callbacks: pending.length });
    }
    return { fulfilment: overdue.length, callbacks: pending.length };
  }
}
