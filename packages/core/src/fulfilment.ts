import type { ChannelOrder, ChannelStatus, RechargeChannel } from "@topup/channels";
import type { Logger } from "@topup/config";
import type { OrderRecord, OrderRepository } from "@topup/db";
import { isTerminal, OrderStatus } from "@topup/protocol";
import type { CallbackRound, FulfilmentStep, WorkQueues } from "@topup/queue";
import { allThenFirstError } from "./all-settled";

/**
 * Puts work for an order on the queues. The order's next_check_at (or open callback round) in the
 * database is the durable copy of that work; a failed enqueue only delays it until the reconciler
 * finds it overdue.
 */
export class FulfilmentScheduler {
  /** The error of the last failed enqueue of new orders: warned about once, not once per order. */
  private lastNewError: unknown = null;

  constructor(private readonly queues: WorkQueues, private readonly logger: Logger) {}

  /**
   * Fire-and-forget: the operator's answer never waits on Redis. New orders stored together go to
   * Redis together, as one job (WorkQueues.enqueueNew).
   */
  scheduleNew(order: OrderRecord): void {
    if (!order.nextCheckAt) return;
    this.queues.enqueueNew({ orderId: order.id, status: order.status, due: order.nextCheckAt.getTime(), polls: 0 }).catch((error: unknown) => {
      if (error === this.lastNewError) return; // every order of a failed round trip rejects with its error
      this.lastNewError = error;
      this.logger.warn("enqueue failed; the reconciler will pick the orders up", { error });
    });
  }

  /** Since when the oldest work the queues still hold (waiting or being worked on) has been queued; null when none. */
  async queuedSince(): Promise<Date | null> {
    const since = await this.queues.oldestQueuedJob();
    return since === null ? null : new Date(since);
  }

  /**
   * scheduleNext for work the reconciler found overdue: a job left under the same id that can never
   * run (Redis lost part of its keys) is removed first, so that the work is not ignored as queued.
   * Resolves to how many such jobs were removed.
   */
  async recover(order: OrderRecord): Promise<number> {
    const round = openRound(order);
    const step = plannedStep(order, 0);
    let removed = 0;
    if (round && (await this.queues.removeStrandedRound(round))) removed++;
    if (step && (await this.queues.removeStrandedStep(step))) removed++;
    await this.scheduleNext(order);
    return removed;
  }

  /** Jobs in neither queue's state lists, removed (WorkQueues.removeOrphans). */
  removeOrphans(limit: number): Promise<number> {
    return this.queues.removeOrphans(limit);
  }

  /** Enqueues whatever the order needs next: its planned fulfilment step, or its open callback round. */
  async scheduleNext(order: OrderRecord, polls = 0): Promise<void> {
    const round = openRound(order);
    const step = plannedStep(order, polls);
    if (round) await this.queues.enqueueCallback(round);
    if (step) await this.queues.enqueueFulfilment(step);
  }
}

function openRound(order: OrderRecord): CallbackRound | null {
  return order.callbackState === "pending" ? { orderId: order.id, round: order.callbackRound } : null;
}

function plannedStep(order: OrderRecord, polls: number): FulfilmentStep | null {
  return order.nextCheckAt && !isTerminal(order.status) ? { orderId: order.id, status: order.status, due: order.nextCheckAt.getTime(), polls } : null;
}

export type StepOutcome = "moved" | "waiting" | "stale";

/** A status change decided from the channel's answer, not yet committed. */
interface PlannedMove {
  to: OrderStatus;
  reason: string;
  channel?: string;
  mobileOrderNo?: string;
}

/** Unchanged channel answers are asked again with a growing delay (1 s, 2 s, 4 s … at most 60 s). */
export function pollDelayMs(stepDelayMs: number, polls: number): number {
  return Math.min(Math.max(stepDelayMs, 1_000) * 2 ** Math.min(polls, 16), 60_000);
}

/** Bounds the moves one step of an order takes when the channel asks for no delay between them. */
const MAX_MOVES_PER_STEP = 8;

/**
 * Drives orders through the state machine. A job's step names an order, the status and the planned
 * time it was made for; if the order has moved on (a replayed or duplicate job), it does nothing.
 * Every change is a conditional transition (`WHERE status = from`), so two runs of the same job
 * cannot move an order twice, and an order is with at most one channel (the one recorded on it).
 *
 * A new order's first move (5 → 6, "placing with <channel>") is committed before the channel is
 * asked, so that a placement is never made without the record of it; that update also returns the
 * order, so the job reads nothing first. When the channel wants no delay between steps, the job
 * keeps asking it, and the moves its answers lead to are committed together as one transition path
 * (one statement, a history row per step) rather than one statement and one queue round trip each.
 * Asking the channel again after a crash before that commit is safe: placing is idempotent by serial
 * and queries have no effect.
 */
export class Fulfilment {
  constructor(
    private readonly orders: OrderRepository,
    private readonly channel: RechargeChannel,
    private readonly scheduler: FulfilmentScheduler,
    private readonly logger: Logger,
  ) {}

  /**
   * Takes every step of a job at once. If any step failed, the job fails once all have run, and
   * BullMQ retries it: the steps already taken are stale by then and change nothing.
   */
  advanceAll(steps: readonly FulfilmentStep[]): Promise<StepOutcome[]> {
    return allThenFirstError(steps.map((step) => this.advance(step)));
  }

  async advance(step: FulfilmentStep): Promise<StepOutcome> {
    let order: OrderRecord | null;
    let moves = 0;
    if (step.status === OrderStatus.Created) {
      order = await this.commit(step.orderId, OrderStatus.Created, [this.placing()], this.nextStepAt());
      if (!order) return "stale";
      moves = 1;
    } else {
      order = await this.orders.findById(step.orderId);
      if (!order || order.status !== step.status || order.nextCheckAt?.getTime() !== step.due) return "stale";
    }
    const planned: PlannedMove[] = [];
    let view = order; // the order as the planned moves leave it
    while (!isTerminal(view.status) && moves < MAX_MOVES_PER_STEP && (moves === 0 || this.channel.stepDelayMs === 0)) {
      const next = await this.decide(view);
      if (next === "ask-again") return this.askAgain(order, planned, moves > 0 ? 0 : step.polls);
      if (next === null) break;
      planned.push(next);
      moves++;
      view = { ...view, status: next.to, mobileOrderNo: next.mobileOrderNo ?? view.mobileOrderNo };
    }
    if (moves === 0) return "stale";
    if (planned.length > 0) {
      order = await this.commit(order.id, order.status, planned, this.nextStepAt());
      if (!order) return "stale";
    }
    await this.scheduler.scheduleNext(order);
    return "moved";
  }

  private placing(): PlannedMove {
    return { to: OrderStatus.Placing, channel: this.channel.code, reason: `placing with ${this.channel.code}` };
  }

  /**
   * The move the channel's answer leads to, "ask-again" when nothing changed yet, null when this
   * status is not fulfilment's to move (5 never gets here: advance() commits its move first).
   */
  private async decide(order: OrderRecord): Promise<PlannedMove | "ask-again" | null> {
    switch (order.status) {
      case OrderStatus.Placing:
        return this.place(order);
      case OrderStatus.Unpaid:
      case OrderStatus.Paying:
        return this.poll(order);
      case OrderStatus.TimedOut:
        return { to: OrderStatus.Returned, reason: "returned to operator: not paid in time" };
      default:
        return null;
    }
  }

  private async place(order: OrderRecord): Promise<PlannedMove | "ask-again"> {
    const result = await this.channel.place(channelOrder(order));
    switch (result.outcome) {
      case "placed":
        return { to: OrderStatus.Unpaid, mobileOrderNo: result.channelOrderNo ?? undefined, reason: "placed" };
      case "refused":
        return { to: OrderStatus.Failed, reason: `refused by ${this.channel.code}: ${result.reason}` };
      case "busy":
      case "held":
        return "ask-again";
      case "unknown":
        // Never fail over or give up on an unknown outcome: placing again is safe (idempotent by serial).
        this.logger.warn("channel answer unknown; asking again", { orderId: order.id, detail: result.detail });
        return "ask-again";
    }
  }

  private async poll(order: OrderRecord): Promise<PlannedMove | "ask-again"> {
    const lastSeen = order.status === OrderStatus.Unpaid ? "unpaid" : "paying";
    const status = await this.channel.query(channelOrder(order), lastSeen);
    const next = nextStatus(order.status, status);
    if (next === null) {
      if (status.state !== "unpaid" && status.state !== "paying") {
        this.logger.warn("channel status not actionable; asking again", { orderId: order.id, state: status.state });
      }
      return "ask-again";
    }
    const mobileOrderNo = "channelOrderNo" in status && !order.mobileOrderNo ? (status.channelOrderNo ?? undefined) : undefined;
    const reason = status.state === "failed" ? `failed at ${this.channel.code}: ${status.reason}` : status.state;
    return { to: next, mobileOrderNo, reason };
  }

  private nextStepAt(): Date {
    return new Date(Date.now() + this.channel.stepDelayMs);
  }

  /** Commits planned moves from `from` as one conditional transition path; null when the order is no longer at `from`. */
  private async commit(orderId: string, from: OrderStatus, moves: readonly PlannedMove[], nextCheckAt: Date): Promise<OrderRecord | null> {
    const channel = moves.findLast((m) => m.channel !== undefined)?.channel;
    const mobileOrderNo = moves.findLast((m) => m.mobileOrderNo !== undefined)?.mobileOrderNo;
    const moved = await this.orders.transitionPath(orderId, from, moves, { channel, mobileOrderNo, nextCheckAt });
    // Every transition is in order_transitions already; the log line is for debugging only, and is
    // not even built unless debug is on (winston would format it before dropping it).
    if (moved && this.logger.isDebugEnabled()) this.logger.debug("order moved", { orderId, from, to: moves.map((m) => m.to) });
    return moved;
  }

  /**
   * The channel had nothing new: the next look is a poll delay away. Moves learned before that
   * answer are committed with it; otherwise only the plan changes, and only if it is still the one
   * this job was made for.
   */
  private async askAgain(order: OrderRecord, planned: readonly PlannedMove[], polls: number): Promise<StepOutcome> {
    const nextCheckAt = new Date(Date.now() + pollDelayMs(this.channel.stepDelayMs, polls));
    if (planned.length > 0) {
      const moved = await this.commit(order.id, order.status, planned, nextCheckAt);
      if (!moved) return "stale";
      await this.scheduler.scheduleNext(moved, polls + 1);
      return "waiting";
    }
    const rescheduled = await this.orders.reschedule(order.id, order.status, order.nextCheckAt, nextCheckAt);
    if (!rescheduled) return "stale";
    await this.scheduler.scheduleNext({ ...order, nextCheckAt }, polls + 1);
    return "waiting";
  }
}

/** The platform status a channel answer leads to from `current`, or null when nothing changes. */
export function nextStatus(current: OrderStatus, status: ChannelStatus): OrderStatus | null {
  switch (status.state) {
    case "paying":
      return current === OrderStatus.Unpaid ? OrderStatus.Paying : null;
    case "succeeded":
      // From 0 the order still passes through 2: the next look then settles it.
      return current === OrderStatus.Unpaid ? OrderStatus.Paying : OrderStatus.Succeeded;
    case "failed":
      return OrderStatus.Failed;
    case "timed_out":
      return current === OrderStatus.Unpaid ? OrderStatus.TimedOut : null;
    default:
      return null;
  }
}

function channelOrder(order: OrderRecord): ChannelOrder {
  return {
    serialNumber: order.serialNumber,
    orderType: order.orderType,
    mobileType: order.mobileType,
    phoneNumber: order.phoneNumber,
    faceValue: order.faceValue,
    mobileOrderNo: order.mobileOrderNo,
  };
}
