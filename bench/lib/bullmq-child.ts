/**
 * Baseline: BullMQ on the same Redis — how fast jobs shaped like the platform's one-step fulfilment jobs
 * (same options: job id, removeOnComplete/Fail, attempts, backoff) can be added by a producer with
 * the ingress's connection settings, and processed by a Worker with a no-op processor at the
 * platform's concurrency.
 */
import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import { createProducerConnection, createWorkerConnection, fulfilmentJobId } from "@topup/queue";
import { serve } from "./rpc";
import { Samples } from "./stats";

interface AddArgs {
  redisUrl: string;
  prefix: string;
  connections: number;
  duration: number;
  maxJobs: number;
}

async function add(a: AddArgs) {
  const connection = createProducerConnection(a.redisUrl);
  connection.on("error", () => undefined);
  const queue = new Queue("fulfilment", { connection, prefix: a.prefix });
  await queue.waitUntilReady();
  const latency = new Samples();
  let seq = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + a.duration * 1000;
  await Promise.all(
    Array.from({ length: a.connections }, async () => {
      while (performance.now() < deadline && seq < a.maxJobs) {
        const n = seq++;
        const due = Date.now();
        const t0 = performance.now();
        try {
          const job = { steps: [{ orderId: String(n + 1), status: 5, due, polls: 0 }] };
          await queue.add("advance", job, { removeOnComplete: true, removeOnFail: true, jobId: fulfilmentJobId(job), attempts: 10, backoff: { type: "exponential", delay: 1000 } });
          latency.add(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  await queue.close();
  connection.disconnect();
  return { added: latency.count, errors, connections: a.connections, durationS: elapsedS, ratePerS: latency.count / elapsedS, latencyMs: latency.summary() };
}

interface ProcessArgs {
  redisUrl: string;
  prefix: string;
  concurrency: number;
  expected: number;
  timeoutS: number;
}

async function processJobs(a: ProcessArgs) {
  const connection = createWorkerConnection(a.redisUrl);
  let done = 0;
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const started = performance.now();
  const worker = new Worker("fulfilment", async () => undefined, { connection, prefix: a.prefix, concurrency: a.concurrency });
  worker.on("completed", () => {
    if (++done >= a.expected) finished();
  });
  const timer = setTimeout(finished, a.timeoutS * 1000);
  await allDone;
  clearTimeout(timer);
  const elapsedS = (performance.now() - started) / 1000;
  await worker.close(true);
  connection.disconnect();
  return { processed: done, expected: a.expected, concurrency: a.concurrency, durationS: elapsedS, ratePerS: done / elapsedS, complete: done >= a.expected };
}

serve({ add, process: processJobs });
