import { Worker, type Job } from "bullmq";
import type { Logger, PlatformConfig } from "@topup/config";
import { Platform, type PlatformOptions, type ReconcileResult } from "@topup/core";
import { SlotsClosedError } from "@topup/net";
import { startOpsServer } from "./ops-server";
import { createWorkerConnection, QueueName, requestIdsOf, roundsOf, stepsOf, WORKER_LOCKING, type CallbackJob, type CallbackRound, type FulfilmentJob } from "@topup/queue";

export interface WorkerOptions extends Partial<PlatformOptions> {
  fulfilmentConcurrency?: number;
  callbackConcurrency?: number;
  /** How often the reconciler looks for work Redis lost; 0 turns it off. */
  reconcileEveryMs?: number;
  /** How long close() waits for active jobs before it stops without them (default CLOSE_GRACE_MS). */
  closeGraceMs?: number;
}

/** A stop waits this long for active jobs: one callback attempt (10 s timeout) and its database writes fit. */
export const CLOSE_GRACE_MS = 20_000;

/** Whether `work` settled within `ms` (it goes on in the background if not). */
function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([work.then(() => true, () => true), deadline]).finally(() => clearTimeout(timer));
}

export interface WorkerService {
  platform: Platform;
  /** Where the worker's /metrics, /healthz and /readyz listen (WORKER_METRICS_PORT; 0 picks one). */
  metricsPort: number;
  reconcileNow(): Promise<ReconcileResult>;
  /** Finishes active jobs (or hands them back), stops the reconciler, the health flushes and balance polls, releases connections. */
  close(): Promise<void>;
}

/**
 * Thrown for unacknowledged callbacks so that BullMQ's retry policy schedules the next attempt (of
 * the rounds still open: the acknowledged ones are skipped then).
 */
export class CallbackNotAcknowledged extends Error {
  override readonly name = "CallbackNotAcknowledged";
}

/**
 * A job whose data Redis lost (stepsOf/roundsOf find no work in it): there is nothing to do — the
 * reconciler rebuilds the work from the database — and nothing to keep. Its options were lost with
 * it, so BullMQ would keep it as completed under its id; it is removed on completion instead.
 */
function dropHusk(job: Job, logger: Logger): void {
  job.opts.removeOnComplete = true;
  job.opts.removeOnFail = true;
  logger.warn("job without data (Redis lost it); the reconciler rebuilds its work from the database", { queue: job.queueName, jobId: job.id });
}

export async function startWorker(config: PlatformConfig, logger: Logger, options: WorkerOptions = {}): Promise<WorkerService> {
  const platform = new Platform(config, { role: "worker", logger, ...options });
  const connection = createWorkerConnection(config.redisUrl);
  connection.on("error", (error: Error) => logger.debug("redis connection error", { error: error.message }));

  const fulfilment = new Worker<FulfilmentJob>(
    QueueName.fulfilment,
    async (job) => {
      const steps = stepsOf(job.data);
      if (steps.length === 0) return dropHusk(job, logger);
      return platform.fulfilment.advanceAll(steps);
    },
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: options.fulfilmentConcurrency ?? 50,
      ...WORKER_LOCKING, // a killed worker's jobs come back in 10–15 s, not 30–60 s (see WORKER_LOCKING)
    },
  );
  const callbacks = new Worker<CallbackJob | CallbackRound>(
    QueueName.callback,
    async (job) => {
      const rounds = roundsOf(job.data);
      if (rounds.length === 0) return dropHusk(job, logger);
      const outcomes = await platform.delivery.deliverAll(rounds);
      const open = rounds.filter((_, i) => outcomes[i] === "retry");
      if (open.length > 0) throw new CallbackNotAcknowledged(`callbacks not acknowledged: orders ${open.map((r) => r.orderId).join(", ")}`);
      return outcomes;
    },
    { connection, prefix: config.queuePrefix, concurrency: options.callbackConcurrency ?? 50, ...WORKER_LOCKING },
  );
  for (const worker of [fulfilment, callbacks]) {
    worker.on("failed", (job, error) => {
      // Expected: BullMQ retries the job (open rounds; rounds not sent because the worker is stopping).
      if (error instanceof CallbackNotAcknowledged || error instanceof SlotsClosedError) return;
      // A job may hold the work of many requests: the line names them all.
      const requestIds = job ? requestIdsOf(job.queueName === QueueName.fulfilment ? stepsOf(job.data as FulfilmentJob) : roundsOf(job.data as CallbackJob)) : [];
      logger.warn("job failed", { queue: worker.name, jobId: job?.id, requestIds, attemptsMade: job?.attemptsMade, error: error.message });
    });
    worker.on("error", (error) => logger.warn("worker error", { queue: worker.name, error: error.message }));
  }

  let reconciling: Promise<unknown> = Promise.resolve();
  const reconcileNow = () => {
    const run = reconciling.then(() => platform.reconciler.runOnce());
    reconciling = run.catch((error: unknown) => logger.warn("reconcile failed", { error }));
    return run;
  };
  const everyMs = options.reconcileEveryMs ?? 5_000;
  const timer = everyMs > 0 ? setInterval(() => void reconcileNow().catch(() => undefined), everyMs) : undefined;
  timer?.unref();

  // Channel health (its flushes and the circuit breaker) and the suppliers' balances: docs/channels.md.
  platform.channelHealth.start();
  platform.balancePoller.start();

  // Before waiting for Redis: /healthz and /readyz must answer while it is unreachable.
  const ops = await startOpsServer(platform, config.workerMetricsHost, config.workerMetricsPort);
  await Promise.all([fulfilment.waitUntilReady(), callbacks.waitUntilReady()]);
  logger.info("worker ready", { queuePrefix: config.queuePrefix, metricsHost: config.workerMetricsHost, metricsPort: ops.port });

  return {
    platform,
    metricsPort: ops.port,
    reconcileNow,
    async close() {
      if (timer) clearInterval(timer);
      // Callbacks already sent finish (answer or 10 s deadline); the rounds not yet sent fail their
      // job now, so it comes back to another worker instead of holding this stop (a job holds up
      // to 100 rounds, and at most 64 are in flight).
      platform.callbackHttp.stopStarting();
      // Bounded: BullMQ's Worker.close() never resolves when it begins while the worker's Redis
      // connection is down or still reconnecting, and the reconciler's enqueues wait for Redis too —
      // a worker SIGTERMed during or just after a Redis outage never exited (found by test/faults).
      // Jobs still held after the grace period come back to other workers when their locks expire,
      // exactly as after a crash; every handler is idempotent.
      const graceMs = options.closeGraceMs ?? CLOSE_GRACE_MS;
      const stopped = await settlesWithin(Promise.all([fulfilment.close(), callbacks.close(), reconciling]), graceMs);
      if (!stopped) logger.warn("active jobs not finished within the grace period; their locks will expire and hand them back", { graceMs });
      // After the jobs: the last flush reports their calls.
      if (!(await settlesWithin(Promise.all([platform.channelHealth.stop(), platform.balancePoller.stop()]), 5_000))) logger.warn("channel health and balance polls not stopped within 5 s");
      connection.disconnect();
      await ops.close();
      if (!(await settlesWithin(platform.close(), 5_000))) logger.warn("connections not released within 5 s");
    },
  };
}
