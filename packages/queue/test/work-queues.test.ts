import { clearQueues } from "../../../test/support/stack";
import { uniqueQueuePrefix } from "../../../test/support/test-database";
import { Worker } from "bullmq";
import {
  callbackJobId,
  createProducerConnection,
  createWorkerConnection,
  fulfilmentJobId,
  QueueName,
  requestIdsOf,
  roundsOf,
  stepsOf,
  WorkQueues,
  type FulfilmentStep,
  type Redis,
} from "../src";

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

it("gives a step enqueued alone a job of its own, delayed until the step is due", async () => {
  const later = step({ status: 0, due: Date.now() + 60_000, polls: 2 });
  await queues.enqueueFulfilment(later);
  const [job] = await queues.fulfilment.getJobs(["delayed"]);
  expect(job.data.steps).toEqual([later]);
  expect(job.id).toBe(fulfilmentJobId({ steps: [later] }));
});

it("puts later steps enqueued together into one job per half second they fall due in, run when its last step is due", async () => {
  const t = Date.now();
  const [now1, now2] = [step({ status: 2, due: t - 5 }), step({ status: 2, due: t })];
  const [soon1, soon2, soon3] = [step({ status: 0, due: t + 5_000 }), step({ status: 0, due: t + 5_300 }), step({ status: 0, due: t + 5_500 })];
  const much = step({ status: 0, due: t + 60_000 });
  await Promise.all([much, soon3, now2, soon1, now1, soon2].map((s) => queues.enqueueFulfilment(s)));
  expect((await queues.fulfilment.getJobs(["wait"])).map((j) => j.data.steps)).toEqual([[now1, now2]]);
  const delayed = await queues.fulfilment.getJobs(["delayed"]);
  const byFirstDue = delayed.map((j) => ({ steps: j.data.steps, runsAt: j.timestamp + j.delay })).sort((a, b) => a.steps[0].due - b.steps[0].due);
  expect(byFirstDue.map((j) => j.steps)).toEqual([[soon1, soon2, soon3], [much]]);
  expect(byFirstDue[0].runsAt).toBeGreaterThanOrEqual(soon3.due - 50);
  expect(byFirstDue[0].runsAt).toBeLessThanOrEqual(soon3.due + 50);
});

it("puts callback rounds enqueued together into ONE job with the 3-attempt retry policy, named after them", async () => {
  const rounds = [
    { orderId: "7", round: 1 },
    { orderId: "8", round: 2 },
  ];
  await Promise.all(rounds.map((r) => queues.enqueueCallback(r)));
  const jobs = await queues.callback.getJobs(["wait"]);
  expect(jobs).toHaveLength(1);
  expect(jobs[0].data.rounds).toEqual(rounds);
  expect(jobs[0].id).toBe(callbackJobId({ rounds }));
  expect(jobs[0].id).toMatch(/^callbacks-[0-9a-f]{40}$/);
  expect(jobs[0].opts).toMatchObject({ attempts: 3, backoff: { type: "exponential", delay: 50 } });
  // The same rounds again while the job exists: still one job.
  await Promise.all(rounds.map((r) => queues.enqueueCallback(r)));
  expect(await queues.callback.getJobCounts("wait")).toMatchObject({ wait: 1 });
});

it("keeps each step's and round's own request id in a job of several; job ids do not depend on them", async () => {
  const steps = [step({ requestId: "push-a" }), step({ requestId: "push-b" }), step({ requestId: "push-a" })];
  const rounds = [{ orderId: "11", round: 1, requestId: "push-a" }, { orderId: "12", round: 1 }];
  await Promise.all([...steps.map((s) => queues.enqueueNew(s)), ...rounds.map((r) => queues.enqueueCallback(r))]);
  const [fulfilment] = await queues.fulfilment.getJobs(["wait"]);
  const [callback] = await queues.callback.getJobs(["wait"]);
  expect(fulfilment.data.steps).toEqual(steps);
  expect(callback.data.rounds).toEqual(rounds);
  expect(fulfilment.id).toBe(fulfilmentJobId({ steps: steps.map(({ requestId: _, ...plain }) => plain) }));
  expect(requestIdsOf(stepsOf(fulfilment.data))).toEqual(["push-a", "push-b"]);
  expect(requestIdsOf(roundsOf(callback.data))).toEqual(["push-a"]);
});

it("names a job of one callback round after the order and round, so a resend or the reconciler's enqueue of it is one job", async () => {
  await queues.enqueueCallback({ orderId: "9", round: 1 });
  await queues.enqueueCallback({ orderId: "9", round: 1 });
  await queues.enqueueCallback({ orderId: "9", round: 2 });
  const ids = (await queues.callback.getJobs(["wait"])).map((j) => j.id).sort();
  expect(ids).toEqual(["callback-9-r1", "callback-9-r2"]);
});

it("reads the steps and rounds of a job from before jobs held several (one as the whole payload)", () => {
  const legacy = step();
  expect(stepsOf(legacy)).toEqual([legacy]);
  expect(stepsOf({ steps: [legacy] })).toEqual([legacy]);
  expect(roundsOf({ orderId: "5", round: 1 })).toEqual([{ orderId: "5", round: 1 }]);
  expect(roundsOf({ rounds: [{ orderId: "5", round: 1 }] })).toEqual([{ orderId: "5", round: 1 }]);
});

it("tells when the oldest job waiting or being worked on, in either queue, was enqueued, and null when there is none", async () => {
  expect(await queues.oldestQueuedJob()).toBeNull();
  await queues.enqueueCallback({ orderId: "70", round: 1 });
  await new Promise((r) => setTimeout(r, 30));
  await queues.enqueueFulfilment(step({ status: 2 }));
  await queues.enqueueFulfilment(step({ status: 0, due: Date.now() + 60_000 })); // delayed: neither
  const [callbackJob] = await queues.callback.getJobs(["wait"]);
  const [stepJob] = await queues.fulfilment.getJobs(["wait"]);
  expect(callbackJob.timestamp).toBeLessThan(stepJob.timestamp);
  expect(await queues.oldestQueuedJob()).toBe(callbackJob.timestamp);

  // Taken by a worker, the job still holds its work: it counts until it ends.
  const workerConnection = createWorkerConnection(redisUrl);
  const worker = new Worker(QueueName.callback, null, { connection: workerConnection, prefix });
  try {
    const taken = await worker.getNextJob("test-token");
    expect(taken?.id).toBe(callbackJob.id);
    expect(await queues.callback.getJobCounts("wait", "active")).toMatchObject({ wait: 0, active: 1 });
    expect(await queues.oldestQueuedJob()).toBe(callbackJob.timestamp);
    await taken!.moveToCompleted("done", "test-token", false);
    expect(await queues.oldestQueuedJob()).toBe(stepJob.timestamp);
  } finally {
    await worker.close();
    workerConnection.disconnect();
  }
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

it("names a job of several steps or rounds by the sha1 of each one's name followed by ';' (ingresses of two versions must name the same work alike)", () => {
  // sha1("1-s5-t100;2-s5-t100;") and sha1("7-r1;8-r2;"), computed outside Node (sha1sum).
  expect(fulfilmentJobId({ steps: [1, 2].map((id) => ({ orderId: String(id), status: 5, due: 100, polls: 0 })) })).toBe("orders-e7276ad4d10a27ee04f7268faab274000a822961");
  expect(callbackJobId({ rounds: [{ orderId: "7", round: 1 }, { orderId: "8", round: 2 }] })).toBe("callbacks-c403773b399a8e25694f3efc6d1c08a59682bbdf");
});
