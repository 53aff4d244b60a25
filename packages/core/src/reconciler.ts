import type { Logger } from "@topup/config";
import type { OrderRepository } from "@topup/db";
import { isTerminal } from "@topup/protocol";
import type { FulfilmentScheduler } from "./fulfilment";

export interface ReconcilerOptions {
  /** How long past its planned time an order may wait before its work is considered lost. */
  graceMs: number;
  batchSize: number;
}

/**
 * Rebuilds lost queue work from the database, the source of truth: orders whose next_check_at is
 * overdue — a planned fulfilment step, or a callback round whose next attempt should have ended
 * (callbackRoundDueBy) — because Redis restarted empty, an enqueue failed, or a worker died
 * between commit and enqueue. Job ids make this idempotent: work that still exists in Redis is not
 * added twice (for orders batched into one job, see overdueBefore).
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
    for (const order of overdue) await this.scheduler.scheduleNext(order);
    // Terminal orders in the list have an open callback round; the others a fulfilment step.
    const callbacks = overdue.filter((order) => isTerminal(order.status)).length;
    const found = { fulfilment: overdue.length - callbacks, callbacks };
    if (overdue.length > 0) this.logger.info("reconciled", found);
    return found;
  }

  /**
   * Work planned before this is taken for lost. While the workers are behind, an order's work can
   * be queued for longer than the grace without being lost — and orders stored together (new
   * orders) or finished together (their callback rounds) share one job, whose id the reconciler
   * cannot know, so re-adding their work is not a no-op: it would add work to a queue that is
   * already behind, and deliver a callback twice. Work planned since (the oldest job still waiting
   * or running − the grace) may still be queued and is left to it; once the queues have drained,
   * or after Redis lost them (nothing waits), the plain grace applies again.
   */
  private async overdueBefore(before: Date): Promise<Date> {
    const since = await this.scheduler.queuedSince().catch(() => null); // Redis down: the enqueues fail anyway
    if (since === null) return before;
    const queuedFrom = new Date(since.getTime() - this.options.graceMs);
    return queuedFrom < before ? queuedFrom : before;
  }
}
