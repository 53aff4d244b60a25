import { createHash } from "node:crypto";

/**
 * Queue names, job payloads and job ids. Payloads carry ids as strings (never BigInt) and nothing
 * else the database already knows: the database is the source of truth and a job only says
 * "look at this order now". The one thing a payload adds is the id of the request its work came
 * from, which only correlates log lines.
 */
export const QueueName = {
  fulfilment: "fulfilment",
  callback: "callback",
} as const;

/**
 * One step of one order: advance it if it is still at `status` and still planned for `due` (the
 * order's next_check_at, epoch ms); `polls` counts channel answers that changed nothing.
 */
export interface FulfilmentStep {
  orderId: string;
  status: number;
  due: number;
  polls: number;
  /**
   * The request this work came from (its X-Request-Id; `reconciler:<cycle>` for work the reconciler
   * rebuilt), carried on to the order's later steps and callbacks: it only correlates log lines.
   */
  requestId?: string;
}

/**
 * A fulfilment job: steps of one or more orders, taken together by one worker. New orders stored
 * together arrive as one job, and so do later steps planned together for about the same time, so
 * that a queue round trip at either end serves all of them and their statements are batched in the
 * worker; a step enqueued alone (the reconciler's) is a job of its own.
 */
export interface FulfilmentJob {
  steps: FulfilmentStep[];
}

/**
 * The steps of a job's data; a job enqueued before jobs held several steps is one step itself. None
 * when Redis lost the job's data (BullMQ then hands the worker `{}`).
 */
export function stepsOf(data: FulfilmentJob | FulfilmentStep | Record<string, never>): FulfilmentStep[] {
  if ("steps" in data) return (data as FulfilmentJob).steps;
  return "orderId" in data ? [data as FulfilmentStep] : [];
}

/** Deliver round `round` of an order's callback (attempts counted in the database). */
export interface CallbackRound {
  orderId: string;
  round: number;
  /** As FulfilmentStep.requestId. */
  requestId?: string;
}

/**
 * A callback job: rounds of one or more orders. Rounds opened together (the orders a fulfilment
 * job finished) arrive as one job, so that a queue round trip serves all of them; BullMQ's retry
 * policy (CALLBACK_ATTEMPTS, exponential backoff) spaces the attempts, and a retry only delivers the
 * rounds still open. Rounds opened on their own (an administrator's resend, the reconciler) are a
 * job each.
 */
export interface CallbackJob {
  rounds: CallbackRound[];
}

/** The rounds of a job's data, like stepsOf. */
export function roundsOf(data: CallbackJob | CallbackRound | Record<string, never>): CallbackRound[] {
  if ("rounds" in data) return (data as CallbackJob).rounds;
  return "orderId" in data ? [data as CallbackRound] : [];
}

/** The distinct request ids of a job's steps or rounds, for log lines about the whole job. */
export function requestIdsOf(work: readonly { requestId?: string }[]): string[] {
  return [...new Set(work.flatMap((w) => (w.requestId === undefined ? [] : [w.requestId])))];
}

/**
 * Job ids make enqueueing idempotent: the same step of the same order is one job however many
 * times it is enqueued (by the ingress, a retried job, or the reconciler) while it exists. A job of
 * several steps is named after all of them, so the same steps enqueued twice are one job too; the
 * reconciler cannot know such a name, and leaves the work of queued jobs alone instead
 * (Reconciler.overdueBefore).
 */
export function fulfilmentJobId(job: FulfilmentJob): string {
  if (job.steps.length === 1) {
    const [step] = job.steps;
    return `order-${step.orderId}-s${step.status}-t${step.due}`;
  }
  return `orders-${digest(job.steps.map((step) => `${step.orderId}-s${step.status}-t${step.due}`))}`;
}

/** Named like fulfilmentJobId: a round's own job by the order and round, several rounds by all of them. */
export function callbackJobId(job: CallbackJob): string {
  if (job.rounds.length === 1) {
    const [round] = job.rounds;
    return `callback-${round.orderId}-r${round.round}`;
  }
  return `callbacks-${digest(job.rounds.map((round) => `${round.orderId}-r${round.round}`))}`;
}

function digest(parts: readonly string[]): string {
  // Each part followed by ";", hashed as one text: one native call, not one per part.
  return createHash("sha1").update(parts.map((part) => `${part};`).join("")).digest("hex");
}

/**
 * How BullMQ workers hold their jobs. BullMQ's defaults (a 30 s lock, a stalled-job check every
 * 30 s) left the jobs of a worker that died without closing (kill -9, OOM, a lost node) locked for
 * 30–60 s, and the reconciler cannot help meanwhile: the job ids still exist, so re-adding them is a
 * no-op. Every handler is idempotent,
 * so handing such jobs back sooner is safe. A running job's lock is renewed every lockDuration / 2
 * (a 10 s callback attempt keeps its lock), so it only lapses when its worker is gone or frozen for
 * about 5 s; a live worker's stalled check (every 5 s) then puts the job back to wait: a dead
 * worker's jobs run again 10–15 s after it died. A job whose worker died more than maxStalledCount
 * times is failed and removed; the reconciler would re-create it from the database anyway, so a few
 * retries in place only spare it the reconciler's grace period.
 * The lock is set by the worker that takes a job, so every worker process must use these values.
 */
export const WORKER_LOCKING = { lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 3 } as const;
