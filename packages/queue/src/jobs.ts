/**
 * Queue names, job payloads and job ids. Payloads carry ids as strings (never BigInt) and nothing
 * else the database already knows: the database is the source of truth and a job only says
 * "look at this order now".
 */
export const QueueName = {
  fulfilment: "fulfilment",
  callback: "callback",
} as const;

/**
 * Advance one order by one step if it is still at `status` and still planned for `due` (the
 * order's next_check_at, epoch ms); `polls` counts channel answers that changed nothing.
 */
export interface FulfilmentJob {
  orderId: string;
  status: number;
  due: number;
  polls: number;
}

/** Deliver round `round` of an order's callback (BullMQ retries the attempts). */
export interface CallbackJob {
  orderId: string;
  round: number;
}

/**
 * Job ids make enqueueing idempotent: the same step of the same order is one job however many
 * times it is enqueued (by the ingress, a retried job, or the reconciler) while it exists.
 */
export function fulfilmentJobId(job: FulfilmentJob): string {
  return `order-${job.orderId}-s${job.status}-t${job.due}`;
}

export function callbackJobId(job: CallbackJob): string {
  return `callback-${job.orderId}-r${job.round}`;
}

/** The document: "回调失败会连续请求 3 次，3 次后不再继续请求" — three attempts in all. */
export const CALLBACK_ATTEMPTS = 3;
