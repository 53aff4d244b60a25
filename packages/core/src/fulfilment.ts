import type { ChannelOrder, ChannelStatus, RechargeChannel } from "@topup/channels";
import type { Logger } from "@topup/config";
import type { OrderRecord, OrderRepository } from "@topup/db";
import { isTerminal, OrderStatus } from "@topup/protocol";
import type { FulfilmentJob, WorkQueues } from "@topup/queue";

/**
 * Puts work for an order on the queues. The order's next_check_at (or open callback round) in the
 * database is the durable copy of that work; a failed enqueue only delays it until the reconciler
 * finds it overdue.
 */
export class FulfilmentScheduler {
  private batch: FulfilmentJob[] = [];

  constructor(private readonly queues: WorkQueues, private readonly logger: Logger) {}

  /**
   * Fire-and-forget: the operator's answer never waits on Redis. New orders stored within one turn
   * of the event loop go to Redis together, in one round trip (no added latency).
   */
  scheduleNew(order: OrderRecord): void {
    if (!order.nextCheckAt) return;
    this.batch.push({ orderId: order.id, status: order.status, due: order.nextCheckAt.getTime(), polls: 0 });
    if (this.batch.length === 1) setImmediate(() => this.flushNew());
  }

  private flushNew(): void {
    const jobs = this.batch;
    this.batch = [];
    this.queues.enqueueFulfilments(jobs).catch((error: unknown) =>
      this.logger.warn("enqueue failed; the reconciler will pick the orders up", { orders: jobs.length, error }),
    );
  }

  /** Enqueues whatever the order needs next: its planned fulfilment step, or its open callback round. */
  async scheduleNext(order: OrderRecord, polls = 0): Promise<void> {
    if (order.callbackState === "pending") {
      await this.queues.enqueueCallback({ orderId: order.id, round: order.callbackRound });
    }
    if (order.nextCheckAt && !isTerminal(order.status)) {
      await this.queues.enqueueFulfilment({ orderId: order.id, status: order.status, due: order.nextCheckAt.getTime(), polls });
    }
  }
}

export type StepOutcome = "moved" | "waiting" | "stale";

/** One step's result: the order as the step left it when it moved. */
type Step = { outcome: "moved"; order: OrderRecord } | { outcome: "waiting" | "stale" };

/** Unchanged channel answers are asked again with a growing delay (1 s, 2 s, 4 s … at most 60 s). */
export function pollDelayMs(stepDelayMs: number, polls: number): number {
  return Math.min(Math.max(stepDelayMs, 1_000) * 2 ** Math.min(polls, 16), 60_000);
}

/** Bounds the steps one job takes when the channel asks for no delay between them. */
const MAX_STEPS_PER_JOB = 8;

/**
 * Drives an order through the state machine. A job names the status and the planned time it was
 * made for; if the order has moved on (a replayed or duplicate job), it does nothing. Each change is
 * one conditional transition, so two runs of the same step cannot move an order twice, and an order
 * is with at most one channel (the one recorded on it). When the channel wants no delay between
 * steps, the job takes the next step itself (each still its own transition with its own history
 * row) rather than paying a queue round trip and a re-read per step.
 */
export class Fulfilment {
  constructor(
    private readonly orders: OrderRepository,
    private readonly channel: RechargeChannel,
    private readonly scheduler: FulfilmentScheduler,
    private readonly logger: Logger,
  ) {}

  async advance(job: FulfilmentJob): Promise<StepOutcome> {
    let order = await this.orders.findById(job.orderId);
    if (!order || order.status !== job.status || order.nextCheckAt?.getTime() !== job.due) return "stale";
    let polls = job.polls;
    for (let steps = 1; ; steps++) {
      const step = await this.step(order, polls);
      if (step.outcome !== "moved") return step.outcome;
      order = step.order;
      polls = 0;
      if (isTerminal(order.status) || this.channel.stepDelayMs > 0 || steps >= MAX_STEPS_PER_JOB) {
        await this.scheduler.scheduleNext(order);
        return "moved";
      }
    }
  }

  private step(order: OrderRecord, polls: number): Promise<Step> {
    switch (order.status) {
      case OrderStatus.Created:
        return this.move(order, OrderStatus.Placing, { channel: this.channel.code, reason: `placing with ${this.channel.code}` });
      case OrderStatus.Placing:
        return this.place(order, polls);
      case OrderStatus.Unpaid:
      case OrderStatus.Paying:
        return this.poll(order, polls);
      case OrderStatus.TimedOut:
        return this.move(order, OrderStatus.Returned, { reason: "returned to operator: not paid in time" });
      default:
        return Promise.resolve({ outcome: "stale" });
    }
  }

  private async place(order: OrderRecord, polls: number): Promise<Step> {
    const result = await this.channel.place(channelOrder(order));
    switch (result.outcome) {
      case "placed":
        return this.move(order, OrderStatus.Unpaid, { mobileOrderNo: result.channelOrderNo, reason: "placed" });
      case "refused":
        return this.move(order, OrderStatus.Failed, { reason: `refused by ${this.channel.code}: ${result.reason}` });
      case "unknown":
        // Never fail over or give up on an unknown outcome: placing again is safe (idempotent by serial).
        this.logger.warn("channel answer unknown; asking again", { orderId: order.id, detail: result.detail });
        return this.wait(order, polls);
    }
  }

  private async poll(order: OrderRecord, polls: number): Promise<Step> {
    const lastSeen = order.status === OrderStatus.Unpaid ? "unpaid" : "paying";
    const status = await this.channel.query(channelOrder(order), lastSeen);
    const next = nextStatus(order.status, status);
    if (next === null) {
      if (status.state !== "unpaid" && status.state !== "paying") {
        this.logger.warn("channel status not actionable; asking again", { orderId: order.id, state: status.state });
      }
      return this.wait(order, polls);
    }
    const mobileOrderNo = "channelOrderNo" in status && !order.mobileOrderNo ? status.channelOrderNo : undefined;
    const reason = status.state === "failed" ? `failed at ${this.channel.code}: ${status.reason}` : status.state;
    return this.move(order, next, { mobileOrderNo, reason });
  }

  private async move(order: OrderRecord, to: OrderStatus, patch: { channel?: string; mobileOrderNo?: string; reason?: string }): Promise<Step> {
    const nextCheckAt = new Date(Date.now() + this.channel.stepDelayMs);
    const moved = await this.orders.transition(order.id, order.status, to, { ...patch, nextCheckAt });
    if (!moved) return { outcome: "stale" };
    // Every transition is in order_transitions already; the log line is for debugging only, and is
    // not even built unless debug is on (winston would format it before dropping it).
    if (this.logger.isDebugEnabled()) this.logger.debug("order moved", { orderId: order.id, from: order.status, to });
    return { outcome: "moved", order: moved };
  }

  private async wait(order: OrderRecord, polls: number): Promise<Step> {
    const nextCheckAt = new Date(Date.now() + pollDelayMs(this.channel.stepDelayMs, polls));
    const rescheduled = await this.orders.reschedule(order.id, order.status, order.nextCheckAt, nextCheckAt);
    if (!rescheduled) return { outcome: "stale" };
    await this.scheduler.scheduleNext({ ...order, nextCheckAt }, polls + 1);
    return { outcome: "waiting" };
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
