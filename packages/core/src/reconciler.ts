import { randomUUID } from "node:crypto";
import type { Logger } from "@topup/config";
import type { ChannelSlotRepository, OrderRepository } from "@topup/db";
import { isTerminal } from "@topup/protocol";
import type { FulfilmentScheduler } from "./fulfilment";

export interface ReconcilerOptions {
  /** How long past its planned time an order may wait before its work is considered lost. */
  graceMs: number;
  batchSize: number;
  /**
   * The longest that work still queued may excuse an overdue order beyond the grace: past that, the
   * order's work is added again whatever the queues say (default QUEUED_EXCUSE_MAX_MS).
   */
  queuedExcuseMaxMs?: number;
  /** How often, at most, a cycle that found lost work also removes orphaned job hashes (default ORPHAN_SWEEP_EVERY_MS). */
  orphanSweepEveryMs?: number;
  /** How often, at most, slots whose order is no longer with their channel are freed (default SLOT_SWEEP_EVERY_MS). */
  slotSweepEveryMs?: number;
}

/** A backlog older than this is taken for a stuck or lost one, not a slow one. */
export const QUEUED_EXCUSE_MAX_MS = 60_000;
export const ORPHAN_SWEEP_EVERY_MS = 60_000;
const ORPHANS_PER_SWEEP = 10_000;
/** A slot may be held this long between its claim and its placement being committed. */
export const SLOT_SWEEP_EVERY_MS = 30_000;

export interface ReconcileResult {
  fulfilment: number;
  callbacks: number;
  /** Jobs found under the same ids that could never run, removed before the work was added again. */
  stranded: number;
  /** Job hashes in no state list, removed by this cycle's sweep. */
  orphans: number;
  /** Channel slots held by orders no longer with that channel (a worker died between claim and placement), freed. */
  slots: number;
}

/**
 * Rebuilds lost queue work from the database, the source of truth: orders whose next_check_at is
 * overdue — a planned fulfilment step, or a callback round whose next attempt should have ended
 * (callbackRoundDueBy) — because Redis restarted empty or lost part of its keys, an enqueue failed,
 * or a worker died between commit and enqueue. Job ids make this idempotent: work that still exists
 * in Redis, and can run, is not added twice (for orders batched into one job, see overdueBefore); a
 * job that exists but can never run is replaced (FulfilmentScheduler.recover).
 */
export class Reconciler {
  /** Lost work is a sign that Redis lost keys, and with them the state entries of other jobs: their hashes would stay forever. */
  private readonly orphanSweep: ThrottledSweep;
  private readonly slotSweep: ThrottledSweep;

  constructor(
    private readonly orders: OrderRepository,
    private readonly scheduler: FulfilmentScheduler,
    slots: ChannelSlotRepository,
    private readonly logger: Logger,
    private readonly options: ReconcilerOptions = { graceMs: 15_000, batchSize: 500 },
  ) {
    this.orphanSweep = new ThrottledSweep("orphaned job sweep", options.orphanSweepEveryMs ?? ORPHAN_SWEEP_EVERY_MS, logger, () => scheduler.removeOrphans(ORPHANS_PER_SWEEP));
    const slotEvery = options.slotSweepEveryMs ?? SLOT_SWEEP_EVERY_MS;
    this.slotSweep = new ThrottledSweep("channel slot sweep", slotEvery, logger, () => slots.sweep(slotEvery));
  }

  async runOnce(now = new Date()): Promise<ReconcileResult> {
    const before = new Date(now.getTime() - this.options.graceMs);
    const overdue = await this.orders.findOverdue(await this.overdueBefore(before), this.options.batchSize);
    // Rebuilt work has no request behind it: it carries this cycle's mark instead, on to the order's
    // later steps and callbacks, and its log lines lead back to the cycle's "reconciled" line.
    const requestId = `reconciler:${randomUUID()}`;
    let stranded = 0;
    for (const order of overdue) stranded += await this.scheduler.recover(order, requestId);
    // Terminal orders in the list have an open callback round; the others a fulfilment step.
    const callbacks = overdue.filter((order) => isTerminal(order.status)).length;
    const orphans = overdue.length > 0 ? await this.orphanSweep.runIfDue(now) : 0;
    const slots = await this.slotSweep.runIfDue(now);
    const found = { fulfilment: overdue.length - callbacks, callbacks, stranded, orphans, slots };
    if (overdue.length > 0 || slots > 0) this.logger.info("reconciled", { requestId, ...found });
    return found;
  }

  /**
   * Work planned before this is taken for lost. While the workers are behind, an order's work can
   * be queued for longer than the grace without being lost — and orders stored together (new
   * orders) or finished together (their callback rounds) share one job, whose id the reconciler
   * cannot know, so re-adding their work is not a no-op: it would add work to a queue that is
   * already behind, and deliver a callback twice. Work planned since (the oldest job still waiting
   * or running − the grace) may still be queued and is left to it, for at most queuedExcuseMaxMs
   * beyond the grace: a job that stays at the head of a queue that long is not being worked on.
   * Once the queues have drained, or after Redis lost them (nothing waits), the plain grace applies.
   */
  private async overdueBefore(before: Date): Promise<Date> {
    const since = await this.scheduler.queuedSince().catch(() => null); // Redis down: the enqueues fail anyway
    if (since === null) return before;
    const excusedFrom = before.getTime() - (this.options.queuedExcuseMaxMs ?? QUEUED_EXCUSE_MAX_MS);
    const queuedFrom = Math.max(since.getTime() - this.options.graceMs, excusedFrom);
    return queuedFrom < before.getTime() ? new Date(queuedFrom) : before;
  }

}

/** A cleanup run at most once per `everyMs`; a failure is logged and counts as nothing removed. */
class ThrottledSweep {
  private lastRun = 0;

  constructor(
    private readonly name: string,
    private readonly everyMs: number,
    private readonly logger: Logger,
    private readonly run: () => Promise<number>,
  ) {}

  async runIfDue(now: Date): Promise<number> {
    if (now.getTime() - this.lastRun < this.everyMs) return 0;
    this.lastRun = now.getTime();
    return this.run().catch((error: unknown) => {
      this.logger.warn(`${this.name} failed`, { error });
      return 0;
    });
  }
}
