import type { ChannelOrder, ChannelStatus, RechargeChannel } from "@topup/channels";
import type { Logger } from "@topup/config";
import type { AttemptSummary, ChannelAttemptUpdate, ChannelSlotRepository, OrderRecord, OrderRepository } from "@topup/db";
import { isTerminal, OrderStatus } from "@topup/protocol";
import type { CallbackRound, FulfilmentStep, WorkQueues } from "@topup/queue";
import { allThenFirstError } from "./all-settled";
import type { ChannelDirectory, ChannelSnapshot } from "./channel-directory";
import { orderLog, type OperatorUids } from "./order-log";
import { chooseChannel, isEligible, routeFor, type ChannelChoice, type ChannelStanding, type RoutingRoute } from "./routing";

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
  scheduleNew(order: OrderRecord, requestId: string): void {
    if (!order.nextCheckAt) return;
    this.queues.enqueueNew({ orderId: order.id, status: order.status, due: order.nextCheckAt.getTime(), polls: 0, requestId }).catch((error: unknown) => {
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
  async recover(order: OrderRecord, requestId: string): Promise<number> {
    const round = openRound(order, requestId);
    const step = plannedStep(order, 0, requestId);
    let removed = 0;
    if (round && (await this.queues.removeStrandedRound(round))) removed++;
    if (step && (await this.queues.removeStrandedStep(step))) removed++;
    await this.scheduleNext(order, requestId);
    return removed;
  }

  /** Jobs in neither queue's state lists, removed (WorkQueues.removeOrphans). */
  removeOrphans(limit: number): Promise<number> {
    return this.queues.removeOrphans(limit);
  }

  /**
   * Enqueues whatever the order needs next: its planned fulfilment step, or its open callback round,
   * carrying the id of the request the work came from (undefined: none known).
   */
  async scheduleNext(order: OrderRecord, requestId: string | undefined, polls = 0): Promise<void> {
    const round = openRound(order, requestId);
    const step = plannedStep(order, polls, requestId);
    if (round) await this.queues.enqueueCallback(round);
    if (step) await this.queues.enqueueFulfilment(step);
  }
}

function openRound(order: OrderRecord, requestId: string | undefined): CallbackRound | null {
  return order.callbackState === "pending" ? { orderId: order.id, round: order.callbackRound, requestId } : null;
}

function plannedStep(order: OrderRecord, polls: number, requestId: string | undefined): FulfilmentStep | null {
  return order.nextCheckAt && !isTerminal(order.status) ? { orderId: order.id, status: order.status, due: order.nextCheckAt.getTime(), polls, requestId } : null;
}

export type StepOutcome = "moved" | "waiting" | "stale";

/** A status change decided from the channel's answer, not yet committed. */
interface PlannedMove {
  to: OrderStatus;
  reason: string;
  channel?: string;
  mobileOrderNo?: string;
  /** What the order's current channel answered (its attempt's outcome). */
  attempt?: ChannelAttemptUpdate;
  /** Placing with a channel: its attempt's number. */
  openAttempt?: number;
}

/** Unchanged channel answers are asked again with a growing delay (1 s, 2 s, 4 s … at most 60 s). */
export function pollDelayMs(stepDelayMs: number, polls: number): number {
  return Math.min(Math.max(stepDelayMs, 1_000) * 2 ** Math.min(polls, 16), 60_000);
}

/** Bounds the moves one step of an order takes when the channel asks for no delay between them. */
const MAX_MOVES_PER_STEP = 8;
/** "Not stored, try again" answers (HTTP 503, 429) from one channel before the order moves on (PROTOCOL §12). */
export const BUSY_ANSWERS_BEFORE_FAILOVER = 3;
/** How often an order with no eligible channel looks again, within its route's hold time. */
const NO_CHANNEL_RETRY_MS = 1_000;
export const NO_CHANNEL = "无可用渠道";

/** Outcomes that close an attempt as a definitive failure: the order may go to the next channel. */
const FAILED_OUTCOMES = new Set(["refused", "failed", "busy"]);

type Decision = PlannedMove | "ask-again" | "failover" | null;

interface StepState {
  order: OrderRecord;
  attempts: AttemptSummary[];
  snapshot: ChannelSnapshot;
  polls: number;
  /** The request the work came from, carried on to the work this step plans. */
  requestId: string | undefined;
  /** Lines about the order (orderLog). */
  log: Logger;
  /** What the current channel last answered without changing anything (its attempt's outcome), for askAgain. */
  noted?: ChannelAttemptUpdate;
  /** Why the current channel failed definitively, when it did. */
  failure?: ChannelAttemptUpdate;
  /**
   * What the current channel said that still has moves to give (a success reported from 6 or 0
   * passes through the statuses between; a supplier's callback): used instead of asking again.
   */
  known?: ChannelStatus;
}

/** What a supplier's callback is answered (PROTOCOL §12). */
export type NotifyAnswer = "ok" | "fail";
/** A callback that lost a race with a job moving the same order is applied again, at most this often. */
const NOTIFY_TRIES = 3;

export interface FulfilmentOptions {
  /** DEFAULT_CHANNEL: the channel for orders no route matches ("" for none). */
  defaultChannel: string;
}

/**
 * Drives orders through the state machine and across channels (PROTOCOL §12). A job's step names an
 * order, the status and the planned time it was made for; if the order has moved on (a replayed or
 * duplicate job), it does nothing. Every change is a conditional transition (`WHERE status = from`,
 * and for a failover also the channel it was decided for), so two runs of the same job cannot move
 * an order twice, and an order is with at most one channel: it moves to the next only after the
 * current one answered a definitive failure (refused, failed, or busy BUSY_ANSWERS_BEFORE_FAILOVER
 * times); an unknown answer is asked about again, never failed over.
 *
 * Placing with a channel (5 → 6 or the failover edge → 6) is committed, with the channel's attempt,
 * before the channel is asked, so that a placement is never made without the record of it. When the
 * channel wants no delay between steps, the job keeps asking it, and the moves its answers lead to
 * are committed together as one transition path. Asking the channel again after a crash before that
 * commit is safe: placing is idempotent by serial and queries have no effect.
 */
export class Fulfilment {
  constructor(
    private readonly orders: OrderRepository,
    private readonly slots: ChannelSlotRepository,
    private readonly directory: ChannelDirectory,
    private readonly scheduler: FulfilmentScheduler,
    private readonly uids: OperatorUids,
    private readonly logger: Logger,
    private readonly options: FulfilmentOptions,
  ) {}

  /**
   * Takes every step of a job at once. If any step failed, the job fails once all have run, and
   * BullMQ retries it: the steps already taken are stale by then and change nothing.
   */
  advanceAll(steps: readonly FulfilmentStep[]): Promise<StepOutcome[]> {
    return allThenFirstError(steps.map((step) => this.advance(step)));
  }

  async advance(step: FulfilmentStep): Promise<StepOutcome> {
    const snapshot = await this.directory.current();
    if (step.status === OrderStatus.Created) {
      const placed = await this.placeNew(step, snapshot);
      if (placed !== undefined) return placed;
    }
    const found = await this.orders.findWithAttempts(step.orderId);
    if (!found) return "stale";
    const { order, attempts } = found;
    if (order.status !== step.status || order.nextCheckAt?.getTime() !== step.due) return "stale";
    return this.follow({ order, attempts, snapshot, polls: step.polls, requestId: step.requestId, log: await this.logFor(order, step.requestId) });
  }

  /**
   * A supplier's callback about an order placed with channel `code` (PROTOCOL §12): its sign
   * checked by the channel, then applied like a query answer and committed before "ok". "fail"
   * when it is not this channel's callback about an order placed with it (nothing changes); "ok"
   * with nothing changed when the order is final or already with another channel. `requestId`: the
   * callback's own request, which the work it leads to carries on.
   */
  async notified(code: string, fields: Readonly<Record<string, string>>, requestId: string): Promise<NotifyAnswer> {
    const snapshot = await this.directory.current();
    const channel = snapshot.channels.get(code);
    const notification = channel?.verifyNotification?.(fields) ?? null;
    if (!channel || !notification) return "fail";
    for (let tries = 0; tries < NOTIFY_TRIES; tries++) {
      const found = await this.orders.findWithAttemptsBySerial(notification.serialNumber);
      if (!found) return "fail";
      const { order, attempts } = found;
      const placedHere = attempts.some((a) => a.channel === code);
      if (!placedHere || order.phoneNumber !== notification.phoneNumber || order.faceValue !== notification.faceValue) return "fail";
      const state: StepState = { order, attempts, snapshot, polls: 0, requestId, log: await this.logFor(order, requestId) };
      if (isTerminal(order.status) || order.channel !== code || this.currentFailed(state)) {
        const agrees = order.channel === code && (order.status === OrderStatus.Succeeded) === (notification.status.state === "succeeded");
        if (!agrees) state.log.warn("supplier callback contradicts the order; nothing changes", { status: order.status, channel: code, state: notification.status.state });
        return "ok";
      }
      const outcome = await this.follow({ ...state, known: notification.status });
      if (outcome !== "stale") return "ok";
    }
    return "fail";
  }

  /**
   * A new order whose channel does not depend on it (no route, DEFAULT_CHANNEL with no known
   * balance): placed without reading it first — the update returns it. Undefined otherwise.
   */
  private async placeNew(step: FulfilmentStep, snapshot: ChannelSnapshot): Promise<StepOutcome | undefined> {
    const code = this.options.defaultChannel;
    if (snapshot.routes.length > 0 || code === "" || snapshot.standings.get(code)?.balance !== null) return undefined;
    const standing = snapshot.standings.get(code);
    if (!isEligible(standing, 0) || standing.concurrency !== null) return undefined;
    const order = await this.commit(step.orderId, OrderStatus.Created, null, [placingWith(code, 1)], this.nextStepAt(snapshot, code), step.requestId);
    if (!order) return "stale";
    const log = await this.logFor(order, step.requestId);
    return this.follow({ order, attempts: [pendingAttempt(code, 1)], snapshot, polls: 0, requestId: step.requestId, log }, 1);
  }

  private async follow(state: StepState, movesSoFar = 0): Promise<StepOutcome> {
    const { order, snapshot } = state;
    if (order.status === OrderStatus.Created || this.currentFailed(state)) return this.reroute(state, []);
    const channel = order.channel ? snapshot.channels.get(order.channel) : undefined;
    if (!channel) {
      state.log.warn("order's channel is not configured; asking again later", { status: order.status, channel: order.channel });
      return this.askAgain(state, []);
    }
    const planned: PlannedMove[] = [];
    let view = order; // the order as the planned moves leave it
    let moves = movesSoFar;
    while (!isTerminal(view.status) && moves < MAX_MOVES_PER_STEP && (moves === movesSoFar || channel.stepDelayMs === 0 || state.known)) {
      const next = await this.decide(channel, view, state);
      if (next === "ask-again") return this.askAgain(state, planned);
      if (next === "failover") return this.reroute(state, planned);
      if (next === null) break;
      planned.push(next);
      moves++;
      view = { ...view, status: next.to, mobileOrderNo: next.mobileOrderNo ?? view.mobileOrderNo };
    }
    if (planned.length === 0) return moves > 0 ? this.scheduled(order, state) : "stale";
    const moved = await this.commit(order.id, order.status, order.channel, planned, this.nextStepAt(snapshot, channel.code), state.requestId);
    if (!moved) return "stale";
    return this.scheduled(moved, state);
  }

  private async scheduled(order: OrderRecord, state: StepState): Promise<StepOutcome> {
    await this.scheduler.scheduleNext(order, state.requestId);
    return "moved";
  }

  /** The current channel's attempt was closed as a definitive failure: the order waits for the next channel. */
  private currentFailed(state: StepState): boolean {
    const attempt = state.attempts.findLast((a) => a.channel === state.order.channel);
    return attempt !== undefined && attempt.finished && FAILED_OUTCOMES.has(attempt.outcome);
  }

  /**
   * The move the channel's answer leads to; "ask-again" when nothing changed yet; "failover" when
   * the channel failed definitively (state.failure says how); null when this status is not
   * fulfilment's to move (a manual channel's order waits for staff).
   */
  private async decide(channel: RechargeChannel, order: OrderRecord, state: StepState): Promise<Decision> {
    if (state.known && (order.status === OrderStatus.Placing || order.status === OrderStatus.Unpaid || order.status === OrderStatus.Paying)) {
      return this.answered(channel, order, state.known, state);
    }
    switch (order.status) {
      case OrderStatus.Placing:
        return this.place(channel, order, state);
      case OrderStatus.Unpaid:
      case OrderStatus.Paying:
        return this.poll(channel, order, state);
      case OrderStatus.TimedOut:
        return {
          to: OrderStatus.Returned,
          reason: "returned to operator: not paid in time",
          attempt: { channel: channel.code, outcome: "timed_out", final: true },
        };
      default:
        return null;
    }
  }

  private async place(channel: RechargeChannel, order: OrderRecord, state: StepState): Promise<Decision> {
    const attempt = state.attempts.findLast((a) => a.channel === channel.code);
    // After an unknown answer the channel may hold the order: ask before placing again.
    if (attempt?.outcome === "unknown") {
      const status = await channel.query(channelOrder(order), "unpaid");
      if (status.state !== "not_found") return this.answered(channel, order, status, state);
    }
    const result = await channel.place(channelOrder(order));
    const answer = result.answer ?? null;
    switch (result.outcome) {
      case "placed":
        return {
          to: OrderStatus.Unpaid,
          mobileOrderNo: result.channelOrderNo ?? undefined,
          reason: "placed",
          attempt: { channel: channel.code, outcome: "placed", answer, final: false },
        };
      case "refused":
        state.failure = { channel: channel.code, outcome: "refused", answer: answer ?? result.reason, final: true };
        return "failover";
      case "busy":
        if (attempt?.outcome === "busy" && state.polls + 1 >= BUSY_ANSWERS_BEFORE_FAILOVER) {
          state.failure = { channel: channel.code, outcome: "busy", answer: answer ?? result.reason, final: true };
          return "failover";
        }
        state.noted = { channel: channel.code, outcome: "busy", answer: answer ?? result.reason, final: false };
        return "ask-again";
      case "held":
        state.noted = { channel: channel.code, outcome: "held", answer, final: false };
        return "ask-again";
      case "unknown":
        // Never fail over or give up on an unknown outcome: the channel may have the order.
        state.log.warn("channel answer unknown; asking again", { status: order.status, channel: channel.code, detail: result.detail });
        state.noted = { channel: channel.code, outcome: "unknown", answer: answer ?? result.detail, final: false };
        return "ask-again";
    }
  }

  private async poll(channel: RechargeChannel, order: OrderRecord, state: StepState): Promise<Decision> {
    const lastSeen = order.status === OrderStatus.Unpaid ? "unpaid" : "paying";
    const status = await channel.query(channelOrder(order), lastSeen);
    if (status.state !== "not_found") return this.answered(channel, order, status, state);
    // 订单不存在 for an order the channel took: it lost it, or answered from a replica behind. Pushing
    // again is safe (the serial makes it the same order there); failing over on it never is.
    state.log.warn("channel does not know an order it took; pushing it again", { status: order.status, channel: channel.code });
    const again = await channel.place(channelOrder(order));
    if (again.outcome === "refused") {
      state.failure = { channel: channel.code, outcome: "refused", answer: again.answer ?? again.reason, final: true };
      return "failover";
    }
    state.noted = { channel: channel.code, outcome: again.outcome === "placed" ? "placed" : again.outcome, answer: again.answer ?? null, final: false };
    return "ask-again";
  }

  /** A status the channel reported (a query's answer, or a supplier's callback) as a decision. */
  private answered(channel: RechargeChannel, order: OrderRecord, status: ChannelStatus, state: StepState): Decision {
    const answer = status.answer ?? null;
    state.known = status.state === "succeeded" ? status : undefined;
    if (status.state === "failed") {
      state.failure = { channel: channel.code, outcome: "failed", answer: answer ?? status.reason, final: true };
      return "failover";
    }
    const next = nextStatus(order.status, status);
    if (next === null) {
      if (status.state !== "unpaid" && status.state !== "paying") {
        state.log.warn("channel status not actionable; asking again", { status: order.status, channel: channel.code, state: status.state });
      }
      return "ask-again";
    }
    const mobileOrderNo = "channelOrderNo" in status && status.channelOrderNo && !order.mobileOrderNo ? status.channelOrderNo : undefined;
    const outcome = next === OrderStatus.Succeeded ? "succeeded" : next === OrderStatus.TimedOut ? "timed_out" : "placed";
    return { to: next, mobileOrderNo, reason: status.state, attempt: { channel: channel.code, outcome, answer, final: next === OrderStatus.Succeeded } };
  }

  /**
   * The order's channel failed definitively (or it has none yet): the next eligible channel of its
   * route, through the failover edge; 10 when every channel failed, or none can take it within the
   * route's hold time (无可用渠道); otherwise it waits where it is.
   */
  private async reroute(state: StepState, planned: PlannedMove[]): Promise<StepOutcome> {
    const { order, failure } = state;
    let { snapshot } = state;
    if (!routeFor(snapshot.routes, order, this.options.defaultChannel)) snapshot = state.snapshot = await this.directory.fresh(0);
    const attempts = failure ? state.attempts.map((a) => (a.channel === failure.channel ? { ...a, outcome: failure.outcome, answer: failure.answer ?? a.answer, finished: true } : a)) : state.attempts;
    const route = routeFor(snapshot.routes, order, this.options.defaultChannel);
    const choice = route ? await this.claimChannel(order, route, snapshot.standings, new Set(attempts.map((a) => a.channel))) : null;
    const closing = failure ? { attempt: failure } : {};
    let nextCheckAt: Date;
    if (choice && "code" in choice) {
      const from = order.channel ? `failover from ${order.channel}: placing with ${choice.code}` : `placing with ${choice.code}`;
      planned.push({ ...placingWith(choice.code, attempts.length + 1), reason: from, ...closing });
      nextCheckAt = this.nextStepAt(snapshot, choice.code);
    } else if (choice && "wait" in choice && Date.now() < order.createdAt.getTime() + route!.holdMs) {
      const deadline = order.createdAt.getTime() + route!.holdMs;
      nextCheckAt = new Date(Math.min(Date.now() + NO_CHANNEL_RETRY_MS, deadline));
      if (planned.length === 0) {
        const rescheduled = await this.orders.reschedule(order.id, order.status, order.nextCheckAt, nextCheckAt, failure);
        if (!rescheduled) return "stale";
        await this.scheduler.scheduleNext({ ...order, nextCheckAt }, state.requestId);
        return "waiting";
      }
      planned[planned.length - 1] = { ...planned[planned.length - 1], ...closing };
    } else {
      planned.push({ to: OrderStatus.Failed, reason: failedReason(attempts, choice !== null && "exhausted" in choice), ...closing });
      nextCheckAt = new Date();
    }
    const moved = await this.commit(order.id, order.status, order.channel, planned, nextCheckAt, state.requestId);
    if (!moved) {
      if (choice && "code" in choice && snapshot.standings.get(choice.code)?.concurrency != null) await this.slots.release(choice.code, order.id);
      return "stale";
    }
    // Placed with its next channel: the push goes out now, in this job, as for a new order.
    if (choice && "code" in choice && moved.status === OrderStatus.Placing) {
      const next = { order: moved, attempts: [...attempts, pendingAttempt(choice.code, attempts.length + 1)], snapshot, polls: 0, requestId: state.requestId, log: state.log };
      return this.follow(next, planned.length);
    }
    return this.scheduled(moved, state);
  }

  /**
   * chooseChannel, with a slot taken for the order when the chosen channel has a concurrency limit:
   * a channel whose slots are all taken (by any worker process) is not eligible now.
   */
  private async claimChannel(order: OrderRecord, route: RoutingRoute, standings: ReadonlyMap<string, ChannelStanding>, tried: ReadonlySet<string>): Promise<ChannelChoice> {
    let current = standings;
    for (;;) {
      const choice = chooseChannel(route, order.faceValue, current, tried);
      if (!("code" in choice)) return choice;
      const standing = current.get(choice.code)!;
      if (standing.concurrency === null || (await this.slots.claim(choice.code, order.id))) return choice;
      current = new Map(current).set(choice.code, { ...standing, inFlight: standing.concurrency });
    }
  }

  private nextStepAt(snapshot: ChannelSnapshot, code: string): Date {
    return new Date(Date.now() + (snapshot.channels.get(code)?.stepDelayMs ?? 0));
  }

  /** orderLog for the order, its operator's uid looked up. */
  private async logFor(order: OrderRecord, requestId: string | undefined): Promise<Logger> {
    return orderLog(this.logger, order, await this.uids.of(order.operatorId), requestId);
  }

  /**
   * Commits planned moves from `from` as one conditional transition path, with the channel's
   * answers on its attempt; null when the order is no longer at `from` with `fromChannel`.
   */
  private async commit(
    orderId: string,
    from: OrderStatus,
    fromChannel: string | null,
    moves: readonly PlannedMove[],
    nextCheckAt: Date,
    requestId: string | undefined,
  ): Promise<OrderRecord | null> {
    const channel = moves.findLast((m) => m.channel !== undefined)?.channel;
    const mobileOrderNo = moves.findLast((m) => m.mobileOrderNo !== undefined)?.mobileOrderNo;
    const moved = await this.orders.transitionPath(orderId, from, moves, {
      channel,
      mobileOrderNo,
      nextCheckAt,
      fromChannel,
      attempt: lastAttemptUpdate(moves),
      openAttempt: moves.findLast((m) => m.openAttempt !== undefined)?.openAttempt,
    });
    if (moved && this.logger.isDebugEnabled()) (await this.logFor(moved, requestId)).debug("order moved", { status: moved.status, from, to: moves.map((m) => m.to) });
    return moved;
  }

  /**
   * The channel had nothing new: the next look is a poll delay away (none for an order held by
   * staff). Moves learned before that answer are committed with it; otherwise only the plan changes,
   * and only if it is still the one this job was made for.
   */
  private async askAgain(state: StepState, planned: readonly PlannedMove[]): Promise<StepOutcome> {
    const { order, snapshot, noted } = state;
    const polls = planned.length > 0 ? 0 : state.polls;
    const held = noted?.outcome === "held";
    const delay = pollDelayMs(snapshot.channels.get(order.channel ?? "")?.stepDelayMs ?? 0, polls);
    const nextCheckAt = held ? null : new Date(Date.now() + delay);
    if (planned.length > 0) {
      const withNote = noted ? [...planned.slice(0, -1), { ...planned[planned.length - 1], attempt: noted }] : planned;
      const moved = await this.commit(order.id, order.status, order.channel, withNote, nextCheckAt ?? new Date(), state.requestId);
      if (!moved) return "stale";
      await this.scheduler.scheduleNext(moved, state.requestId, polls + 1);
      return "waiting";
    }
    const rescheduled = await this.orders.reschedule(order.id, order.status, order.nextCheckAt, nextCheckAt, noted);
    if (!rescheduled) return "stale";
    await this.scheduler.scheduleNext({ ...order, nextCheckAt }, state.requestId, polls + 1);
    return "waiting";
  }
}

function placingWith(code: string, attemptNo: number): PlannedMove {
  return { to: OrderStatus.Placing, channel: code, reason: `placing with ${code}`, openAttempt: attemptNo };
}

function pendingAttempt(code: string, attemptNo: number): AttemptSummary {
  return { channel: code, attemptNo, outcome: "pending", answer: null, finished: false };
}

/** The attempt update a path records: the last answer of its channel (a path concerns one channel's attempt). */
function lastAttemptUpdate(moves: readonly PlannedMove[]): ChannelAttemptUpdate | undefined {
  const updates = moves.flatMap((m) => (m.attempt ? [m.attempt] : []));
  if (updates.length === 0) return undefined;
  const last = updates[updates.length - 1];
  return { ...last, answer: updates.findLast((u) => u.answer)?.answer ?? null, final: updates.some((u) => u.final) };
}

/** 10's reason: every channel's answer when all failed; 无可用渠道 (with the answers so far) when none could take the order. */
function failedReason(attempts: readonly AttemptSummary[], exhausted: boolean): string {
  const answers = attempts.map((a) => `${a.channel}: ${a.outcome}${a.answer ? ` (${a.answer})` : ""}`).join("; ");
  if (exhausted && attempts.length > 0) return `every channel failed: ${answers}`.slice(0, 256);
  return (attempts.length === 0 ? NO_CHANNEL : `${NO_CHANNEL}; ${answers}`).slice(0, 256);
}

/** The platform status a channel answer leads to from `current`, or null when nothing changes. */
export function nextStatus(current: OrderStatus, status: ChannelStatus): OrderStatus | null {
  switch (status.state) {
    case "unpaid":
      return current === OrderStatus.Placing ? OrderStatus.Unpaid : null;
    case "paying":
      if (current === OrderStatus.Placing) return OrderStatus.Unpaid; // through 0: the next look moves on
      return current === OrderStatus.Unpaid ? OrderStatus.Paying : null;
    case "succeeded":
      // From 6 and 0 the order still passes through the statuses between: the next looks settle it.
      if (current === OrderStatus.Placing) return OrderStatus.Unpaid;
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
