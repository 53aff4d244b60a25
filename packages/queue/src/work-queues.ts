import { CallBatch, type BatchedCall } from "@topup/batching";
import { Queue, type JobsOptions } from "bullmq";
import type IORedis from "ioredis";
import { CALLBACK_ATTEMPTS } from "@topup/protocol";
import {
  callbackJobId,
  fulfilmentJobId,
  QueueName,
  type CallbackJob,
  type CallbackRound,
  type FulfilmentJob,
  type FulfilmentStep,
} from "./jobs";
import { isWholeJob, removeIfStranded } from "./stranded-jobs";

export interface WorkQueuesOptions {
  connection: IORedis;
  prefix: string;
  /** Base delay between callback attempts: attempt n+1 starts base × 2^(n−1) after attempt n failed. */
  callbackBackoffMs: number;
  /** Connection trouble; the failing calls reject as well, so this is for logging. */
  onError?: (error: Error) => void;
}

// Finished jobs are removed: the database records every outcome (transitions, callback attempts),
// and a job id must be free again for the reconciler once its job is gone.
const KEEP = { removeOnComplete: true, removeOnFail: true } satisfies JobsOptions;

/**
 * Steps per job of new orders, and callback rounds per job. Bounded so that one job's work stays
 * short next to its lock (WORKER_LOCKING) and a retried job repeats little.
 */
const ORDERS_PER_JOB = 100;

/**
 * Later steps enqueued together share a job when they fall due within this span of the first of
 * them (the job runs when the last is due): the polls of orders placed together cost one job, not
 * one each, and run at most this much late.
 */
const STEP_GROUP_MS = 500;

/** Enqueues made within one event-loop turn (or while earlier ones are on their way) share one round trip to Redis. */
const ENQUEUE_BATCH = { maxSize: 500, maxInFlight: 4 };

/**
 * The producer side of the two queues, shared by ingress (new orders) and worker (next steps,
 * callbacks). Every enqueue resolves once Redis has the job; calls made close together share a
 * round trip (CallBatch).
 */
export class WorkQueues {
  readonly fulfilment: Queue<FulfilmentJob>;
  readonly callback: Queue<CallbackJob>;
  private readonly callbackBackoffMs: number;
  private readonly connection: IORedis;
  private readonly newSteps = new CallBatch<FulfilmentStep, void>({
    maxSize: ORDERS_PER_JOB,
    maxInFlight: ENQUEUE_BATCH.maxInFlight,
    run: (calls) => this.addStepsTogether(calls),
  });
  private readonly singleSteps = new CallBatch<FulfilmentStep, void>({
    ...ENQUEUE_BATCH,
    run: (calls) => this.addStepsByDue(calls),
  });
  private readonly callbackRounds = new CallBatch<CallbackRound, void>({
    maxSize: ORDERS_PER_JOB,
    maxInFlight: ENQUEUE_BATCH.maxInFlight,
    run: (calls) => this.addCallbacksTogether(calls),
  });

  constructor(options: WorkQueuesOptions) {
    this.fulfilment = new Queue<FulfilmentJob>(QueueName.fulfilment, { connection: options.connection, prefix: options.prefix });
    this.callback = new Queue<CallbackJob>(QueueName.callback, { connection: options.connection, prefix: options.prefix });
    this.callbackBackoffMs = options.callbackBackoffMs;
    this.connection = options.connection;
    const onError = options.onError ?? (() => undefined);
    this.fulfilment.on("error", onError);
    this.callback.on("error", onError);
  }

  /** A new order's first step: new orders enqueued together become ONE job (up to ORDERS_PER_JOB steps). */
  enqueueNew(step: FulfilmentStep): Promise<void> {
    return this.newSteps.add(step);
  }

  /**
   * A later step, run at step.due (epoch ms), or now if that has passed. Steps enqueued together
   * that fall due close together share one job (STEP_GROUP_MS); a step enqueued alone (the
   * reconciler's) is a job of its own, named after it.
   */
  enqueueFulfilment(step: FulfilmentStep): Promise<void> {
    return this.singleSteps.add(step);
  }

  /** An open callback round: rounds enqueued together become ONE job (up to ORDERS_PER_JOB rounds). */
  enqueueCallback(round: CallbackRound): Promise<void> {
    return this.callbackRounds.add(round);
  }

  /**
   * When the oldest job of either queue that is waiting for a worker or being worked on was
   * enqueued (epoch ms), or null when there is none: how far back the work the queues still hold
   * may reach. Wait lists are read at their oldest end; active jobs are few (the workers' concurrency).
   */
  async oldestQueuedJob(): Promise<number | null> {
    const found: (readonly ({ data: unknown; timestamp: number } | undefined)[])[] = await Promise.all([
      this.fulfilment.getJobs(["wait"], 0, 0, true),
      this.fulfilment.getJobs(["active"]),
      this.callback.getJobs(["wait"], 0, 0, true),
      this.callback.getJobs(["active"]),
    ]);
    // A job can end between the listing and the read of its data: it is then missing. A husk left
    // by a partial loss of Redis says nothing of since when work is queued (isWholeJob).
    const enqueuedAt = found.flat().flatMap((job) => (isWholeJob(job) ? [job.timestamp] : []));
    return enqueuedAt.length === 0 ? null : Math.min(...enqueuedAt);
  }

  /**
   * Removes a job left under this step's own id that can never run (removeIfStranded), so that
   * enqueueFulfilment adds the step again instead of ignoring it. For the reconciler's overdue work.
   */
  removeStrandedStep(step: FulfilmentStep): Promise<boolean> {
    return removeIfStranded(this.fulfilment, this.connection, fulfilmentJobId({ steps: [step] }));
  }

  /** removeStrandedStep for a callback round's own job. */
  removeStrandedRound(round: CallbackRound): Promise<boolean> {
    return removeIfStranded(this.callback, this.connection, callbackJobId({ rounds: [round] }));
  }

  /**
   * Deletes the hashes of jobs in no state list (BullMQ's removeOrphanedJobs, at most `limit` per
   * queue): after a partial loss of Redis they would never run nor be removed. A scan of the
   * queues' keys, so run it only when there is a sign of loss.
   */
  async removeOrphans(limit: number): Promise<number> {
    const removed = await Promise.all([this.fulfilment.removeOrphanedJobs(1_000, limit), this.callback.removeOrphanedJobs(1_000, limit)]);
    return removed[0] + removed[1];
  }

  private async addStepsTogether(calls: readonly BatchedCall<FulfilmentStep, void>[]): Promise<void> {
    const { name, data, opts } = this.fulfilmentEntry({ steps: calls.map((call) => call.input) });
    await this.fulfilment.add(name, data, opts);
    for (const call of calls) call.resolve();
  }

  private async addCallbacksTogether(calls: readonly BatchedCall<CallbackRound, void>[]): Promise<void> {
    const job: CallbackJob = { rounds: calls.map((call) => call.input) };
    await this.callback.add("deliver", job, this.callbackOptions(job));
    for (const call of calls) call.resolve();
  }

  /** A job per group of steps falling due together (STEP_GROUP_MS), all in one round trip. */
  private async addStepsByDue(calls: readonly BatchedCall<FulfilmentStep, void>[]): Promise<void> {
    const now = Date.now();
    const groups: FulfilmentStep[][] = [];
    for (const step of calls.map((call) => call.input).sort((a, b) => a.due - b.due)) {
      const group = groups.at(-1);
      const fits = group && group.length < ORDERS_PER_JOB && Math.max(step.due, now) - Math.max(group[0].due, now) <= STEP_GROUP_MS;
      if (fits) group.push(step);
      else groups.push([step]);
    }
    await this.fulfilment.addBulk(groups.map((steps) => this.fulfilmentEntry({ steps })));
    for (const call of calls) call.resolve();
  }

  private fulfilmentEntry(job: FulfilmentJob): { name: string; data: FulfilmentJob; opts: JobsOptions } {
    const delay = Math.max(...job.steps.map((step) => step.due)) - Date.now();
    const opts: JobsOptions = {
      ...KEEP,
      jobId: fulfilmentJobId(job),
      delay: delay > 0 ? delay : undefined,
      // A crash or a database outage mid-step: try the job again (every step is idempotent).
      attempts: 10,
      backoff: { type: "exponential", delay: 1_000 },
    };
    return { name: "advance", data: job, opts };
  }

  private callbackOptions(job: CallbackJob): JobsOptions {
    return {
      ...KEEP,
      jobId: callbackJobId(job),
      attempts: CALLBACK_ATTEMPTS,
      backoff: { type: "exponential", delay: this.callbackBackoffMs },
    };
  }

  /**
   * Sends what was enqueued before closing (the ingress's new orders are enqueued without waiting),
   * for at most `sendWithinMs`: with Redis unreachable an add never settles, and the database has
   * those orders for the reconciler anyway.
   */
  async close(sendWithinMs = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, sendWithinMs)));
    await Promise.race([Promise.all([this.newSteps.settled(), this.singleSteps.settled(), this.callbackRounds.settled()]), deadline]);
    clearTimeout(timer);
    await Promise.all([this.fulfilment.close(), this.callback.close()]);
  }
}
