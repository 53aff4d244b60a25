import { Queue, type JobsOptions } from "bullmq";
import type IORedis from "ioredis";
import { CALLBACK_ATTEMPTS, callbackJobId, fulfilmentJobId, QueueName, type CallbackJob, type FulfilmentJob } from "./jobs";

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

/** The producer side of the two queues, shared by ingress (new orders) and worker (next steps). */
export class WorkQueues {
  readonly fulfilment: Queue<FulfilmentJob>;
  readonly callback: Queue<CallbackJob>;
  private readonly callbackBackoffMs: number;

  constructor(options: WorkQueuesOptions) {
    this.fulfilment = new Queue<FulfilmentJob>(QueueName.fulfilment, { connection: options.connection, prefix: options.prefix });
    this.callback = new Queue<CallbackJob>(QueueName.callback, { connection: options.connection, prefix: options.prefix });
    this.callbackBackoffMs = options.callbackBackoffMs;
    const onError = options.onError ?? (() => undefined);
    this.fulfilment.on("error", onError);
    this.callback.on("error", onError);
  }

  /** Runs at job.due (epoch ms), or now if that has passed. */
  async enqueueFulfilment(job: FulfilmentJob): Promise<void> {
    await this.fulfilment.add("advance", job, this.fulfilmentOptions(job));
  }

  /** Several at once, in one round trip to Redis. */
  async enqueueFulfilments(jobs: readonly FulfilmentJob[]): Promise<void> {
    await this.fulfilment.addBulk(jobs.map((job) => ({ name: "advance", data: job, opts: this.fulfilmentOptions(job) })));
  }

  private fulfilmentOptions(job: FulfilmentJob): JobsOptions {
    const delay = job.due - Date.now();
    return {
      ...KEEP,
      jobId: fulfilmentJobId(job),
      delay: delay > 0 ? delay : undefined,
      // A crash or a database outage mid-step: try the step again (it is idempotent).
      attempts: 10,
      backoff: { type: "exponential", delay: 1_000 },
    };
  }

  async enqueueCallback(job: CallbackJob): Promise<void> {
    await this.callback.add("deliver", job, {
      ...KEEP,
      jobId: callbackJobId(job),
      attempts: CALLBACK_ATTEMPTS,
      backoff: { type: "exponential", delay: this.callbackBackoffMs },
    });
  }

  async close(): Promise<void> {
    await Promise.all([this.fulfilment.close(), this.callback.close()]);
  }
}
