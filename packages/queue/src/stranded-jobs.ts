import type { Queue } from "bullmq";
import type IORedis from "ioredis";

/** States from which BullMQ itself runs a job, or in which a worker is running it: such a job is left alone. */
const WILL_RUN = new Set(["waiting", "delayed", "prioritized", "active", "waiting-children"]);

/**
 * Removes the job under `jobId` when it exists but can never run, so that its work can be added
 * under the same id again (BullMQ ignores an add whose id exists). After Redis lost part of its keys
 * a job's hash can outlive its state entry (state "unknown"), and a hash rebuilt by BullMQ's scripts
 * without its options ends finished but kept ("completed", "failed": this platform removes every job
 * it finishes). A locked job is left too: a worker holds it, and the lock lapses within
 * WORKER_LOCKING.lockDuration once that worker is gone. Resolves to whether a job was removed.
 */
export async function removeIfStranded(queue: Queue, redis: IORedis, jobId: string): Promise<boolean> {
  if (WILL_RUN.has(await queue.getJobState(jobId))) return false;
  const key = queue.toKey(jobId);
  const [exists, locked] = await Promise.all([redis.exists(key), redis.exists(`${key}:lock`)]);
  if (exists === 0 || locked === 1) return false;
  return (await queue.remove(jobId)) === 1;
}

/**
 * Whether a job read from a state list is one this platform enqueued, with its data and the time it
 * was added. Redis can lose a job's hash while its id stays in a list, and BullMQ's scripts then
 * write a few fields under the id again (processedOn, attempts, stalled count): a husk, which neither
 * carries work nor says since when anything was queued.
 */
export function isWholeJob(job: { data: unknown; timestamp: number } | undefined): job is { data: object; timestamp: number } {
  return job !== undefined && Number.isFinite(job.timestamp) && job.timestamp > 0 && typeof job.data === "object" && job.data !== null && Object.keys(job.data).length > 0;
}
