import { clearQueues } from "../../../test/support/stack";
import { uniqueQueuePrefix } from "../../../test/support/test-database";
import { Worker } from "bullmq";
import { createProducerConnection, createWorkerConnection, fulfilmentJobId, QueueName, roundsOf, stepsOf, WorkQueues, type FulfilmentStep, type Redis } from "../src";

// What is left of a job after Redis lost part of its keys, against the real Redis: which jobs can
// never run, and must not hold back or block the reconciler's re-enqueue under the same id.
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = uniqueQueuePrefix();
let connection: Redis;
let queues: WorkQueues;

beforeAll(async () => {
  connection = createProducerConnection(redisUrl);
  queues = new WorkQueues({ connection, prefix, callbackBackoffMs: 50 });
  await queues.fulfilment.waitUntilReady();
});
afterAll(async () => {
  await queues.close();
  connection.disconnect();
  await clearQueues(redisUrl, prefix);
});
afterEach(() => clearQueues(redisUrl, prefix)); // obliterate would leave the stranded hashes behind

let seq = 0;
const step = (overrides: Partial<FulfilmentStep> = {}): FulfilmentStep => ({ orderId: String(++seq), status: 0, due: Date.now(), polls: 0, ...overrides });
const idOf = (s: FulfilmentStep) => fulfilmentJobId({ steps: [s] });
const key = (id: string) => queues.fulfilment.toKey(id);

it("replaces a job whose hash outlived its state entry: the same step can be enqueued again", async () => {
  const lost = step();
  await queues.enqueueFulfilment(lost);
  await connection.lrem(queues.fulfilment.toKey("wait"), 0, idOf(lost)); // Redis lost the wait entry
  await queues.enqueueFulfilment(lost);
  expect(await queues.fulfilment.getJobState(idOf(lost))).toBe("unknown"); // BullMQ ignored the add

  expect(await queues.removeStrandedStep(lost)).toBe(true);
  expect(await connection.exists(key(idOf(lost)))).toBe(0);
  await queues.enqueueFulfilment(lost);
  expect(await queues.fulfilment.getJobState(idOf(lost))).toBe("waiting");
});

it("replaces a finished job kept under the step's id (its options, and so its removal, were lost)", async () => {
  const done = step();
  await queues.enqueueFulfilment(done);
  const workerConnection = createWorkerConnection(redisUrl);
  const worker = new Worker(QueueName.fulfilment, null, { connection: workerConnection, prefix });
  try {
    const taken = await worker.getNextJob("token");
    taken!.opts.removeOnComplete = false; // as when its hash was rebuilt without its options
    await taken!.moveToCompleted("done", "token", false);
    expect(await queues.fulfilment.getJobState(idOf(done))).toBe("completed");
    expect(await queues.removeStrandedStep(done)).toBe(true);
    expect(await queues.fulfilment.getJobState(idOf(done))).toBe("unknown");
  } finally {
    await worker.close();
    workerConnection.disconnect();
  }
});

it("leaves jobs that will run (waiting, delayed), jobs a worker holds (locked), and ids with no job", async () => {
  const waiting = step();
  const delayed = step({ due: Date.now() + 60_000 });
  const held = step();
  for (const s of [waiting, delayed, held]) await queues.enqueueFulfilment(s); // one at a time: a job each
  await connection.lrem(queues.fulfilment.toKey("wait"), 0, idOf(held));
  await connection.set(`${key(idOf(held))}:lock`, "some-worker", "PX", 10_000); // a worker still runs it
  expect(await queues.removeStrandedStep(waiting)).toBe(false);
  expect(await queues.removeStrandedStep(delayed)).toBe(false);
  expect(await queues.removeStrandedStep(held)).toBe(false);
  expect(await queues.removeStrandedStep(step())).toBe(false);
  expect(await queues.fulfilment.getJobCounts("wait", "delayed")).toEqual({ wait: 1, delayed: 1 });
  expect(await connection.exists(key(idOf(held)))).toBe(1);
});

it("replaces a callback round's own job the same way", async () => {
  const round = { orderId: "77", round: 1 };
  await queues.enqueueCallback(round);
  await connection.del(queues.callback.toKey("wait"));
  expect(await queues.removeStrandedRound(round)).toBe(true);
  await queues.enqueueCallback(round);
  expect(await queues.callback.getJobState("callback-77-r1")).toBe("waiting");
});

it("takes no husk for queued work: an id left in a state list whose hash Redis lost says nothing of since when", async () => {
  // BullMQ's scripts write a few fields under such an id when they move it (processedOn, attempts).
  await connection.rpush(queues.fulfilment.toKey("wait"), "order-1-s0-t1"); // the oldest end
  await connection.hset(key("order-1-s0-t1"), "processedOn", "1", "ats", "1");
  await connection.lpush(queues.callback.toKey("active"), "callbacks-gone");
  await connection.hset(queues.callback.toKey("callbacks-gone"), "stc", "1");
  expect(await queues.oldestQueuedJob()).toBeNull();

  await queues.enqueueCallback({ orderId: "5", round: 1 });
  const [real] = await queues.callback.getJobs(["wait"]);
  expect(await queues.oldestQueuedJob()).toBe(real.timestamp);
});

it("removes job hashes in no state list, and nothing else", async () => {
  const kept = step();
  const orphaned = step();
  for (const s of [kept, orphaned]) await queues.enqueueFulfilment(s); // one at a time: a job each
  await connection.lrem(queues.fulfilment.toKey("wait"), 0, idOf(orphaned));
  expect(await queues.removeOrphans(100)).toBe(1);
  expect(await connection.exists(key(idOf(orphaned)))).toBe(0);
  expect(await queues.fulfilment.getJobState(idOf(kept))).toBe("waiting");
});

it("finds no work in the data of a job that Redis lost (BullMQ hands the worker {})", () => {
  expect(stepsOf({})).toEqual([]);
  expect(roundsOf({})).toEqual([]);
});
