import { clearQueues } from "../../../test/support/stack";
import { uniqueQueuePrefix } from "../../../test/support/test-database";
import { callbackJobId, createProducerConnection, fulfilmentJobId, stepsOf, WorkQueues, type FulfilmentStep, type Redis } from "../src";

// Against the real Redis: what the producers put on the queues, and under which job ids.
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
afterEach(async () => {
  await queues.fulfilment.obliterate({ force: true });
  await queues.callback.obliterate({ force: true });
});

let seq = 0;
const step = (overrides: Partial<FulfilmentStep> = {}): FulfilmentStep => ({ orderId: String(++seq), status: 5, due: Date.now(), polls: 0, ...overrides });

it("puts new orders enqueued together into ONE job holding all their steps, named after them", async () => {
  const steps = [step(), step(), step()];
  await Promise.all(steps.map((s) => queues.enqueueNew(s)));
  const jobs = await queues.fulfilment.getJobs(["wait", "delayed", "prioritized"]);
  expect(jobs).toHaveLength(1);
  expect(jobs[0].data.steps).toEqual(steps);
  expect(jobs[0].id).toBe(fulfilmentJobId({ steps }));
  expect(jobs[0].id).toMatch(/^orders-[0-9a-f]{40}$/);
  // The same steps again while the job exists: still one job.
  await Promise.all(steps.map((s) => queues.enqueueNew(s)));
  expect(await queues.fulfilment.getJobCounts("wait", "delayed", "prioritized")).toMatchObject({ wait: 1 });
});

it("names a job of one step after the step, as the reconciler does, so they are one job", async () => {
  const only = step();
  await queues.enqueueNew(only);
  await queues.enqueueFulfilment(only); // the reconciler's enqueue of the same step
  const jobs = await queues.fulfilment.getJobs(["wait", "delayed", "prioritized"]);
  expect(jobs.map((j) => j.id)).toEqual([`order-${only.orderId}-s5-t${only.due}`]);
});

it("gives every other step and every callback round a job of its own, delayed until the step is due", async () => {
  const later = step({ status: 0, due: Date.now() + 60_000, polls: 2 });
  const now = step({ status: 2 });
  await Promise.all([queues.enqueueFulfilment(later), queues.enqueueFulfilment(now)]);
  expect((await queues.fulfilment.getJobs(["delayed"])).map((j) => j.data.steps)).toEqual([[later]]);
  expect((await queues.fulfilment.getJobs(["wait"])).map((j) => j.data.steps)).toEqual([[now]]);

  await Promise.all([queues.enqueueCallback({ orderId: "7", round: 1 }), queues.enqueueCallback({ orderId: "8", round: 2 })]);
  const callbacks = await queues.callback.getJobs(["wait"]);
  expect(callbacks.map((j) => j.id).sort()).toEqual([callbackJobId({ orderId: "7", round: 1 }), callbackJobId({ orderId: "8", round: 2 })].sort());
  expect(callbacks.every((j) => j.opts.attempts === 3)).toBe(true);
});

it("reads the steps of a job from before jobs held several (one step as the whole payload)", () => {
  const legacy = step();
  expect(stepsOf(legacy)).toEqual([legacy]);
  expect(stepsOf({ steps: [legacy] })).toEqual([legacy]);
});

it("tells when the oldest fulfilment job still waiting was enqueued, and null when none waits", async () => {
  expect(await queues.oldestWaitingFulfilment()).toBeNull();
  const first = step({ status: 2 });
  const second = step({ status: 2 });
  await queues.enqueueFulfilment(first);
  await new Promise((r) => setTimeout(r, 30));
  await queues.enqueueFulfilment(second);
  await queues.enqueueFulfilment(step({ status: 0, due: Date.now() + 60_000 })); // delayed: not waiting
  const waiting = await queues.fulfilment.getJobs(["wait"]);
  const enqueuedAt = (s: FulfilmentStep) => waiting.find((job) => job.data.steps[0].orderId === s.orderId)!.timestamp;
  expect(enqueuedAt(first)).toBeLessThan(enqueuedAt(second));
  expect(await queues.oldestWaitingFulfilment()).toBe(enqueuedAt(first));
});

it("sends what was enqueued before it closes: a new order stored just before a stop keeps its job", async () => {
  const own = createProducerConnection(redisUrl);
  const closing = new WorkQueues({ connection: own, prefix, callbackBackoffMs: 50 });
  const last = step();
  void closing.enqueueNew(last); // fire-and-forget, as the ingress does
  await closing.close();
  own.disconnect();
  const jobs = await queues.fulfilment.getJobs(["wait"]);
  expect(jobs.map((j) => j.data.steps)).toEqual([[last]]);
});
