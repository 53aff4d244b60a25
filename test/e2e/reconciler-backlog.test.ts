import { Platform, QUEUED_EXCUSE_MAX_MS } from "@topup/core";
import { OrderStatus } from "@topup/protocol";
import { callbackJobId, createWorkerConnection, fulfilmentJobId, QueueName } from "@topup/queue";
import { Worker } from "bullmq";
import { Client } from "pg";
import { eventually, startStack, testLogger, type Stack } from "../support/stack";

// The reconciler re-creates work Redis lost, and must not add work to a queue that is only behind:
// new orders stored together share one job, and so do callback rounds opened together, whose ids it
// cannot know.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false }); // nobody takes the jobs: they wait, like a backlog
});
afterAll(() => stack.close());

it("leaves steps queued behind a backlog to their job, and re-creates them once Redis has lost it", async () => {
  const op = await stack.createOperator();
  const orderNos = [1, 2, 3].map((i) => `BACKLOG${i}${Date.now()}`);
  await Promise.all(orderNos.map((orderNo) => op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }))));
  const platform = new Platform(stack.config, { role: "worker", logger: testLogger(), poolMax: 2, reconcileGraceMs: 500 });
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  try {
    const queued = await eventually(async () => {
      const jobs = await platform.queues.fulfilment.getJobs(["wait"]);
      return jobs.flatMap((job) => job.data.steps).length === 3 ? jobs : undefined;
    });
    await new Promise((r) => setTimeout(r, 800)); // past the grace: overdue, but still queued
    expect(await platform.reconciler.runOnce()).toEqual({ fulfilment: 0, callbacks: 0, stranded: 0, orphans: 0, slots: 0 });
    expect((await platform.queues.fulfilment.getJobs(["wait"])).map((job) => job.id)).toEqual(queued.map((job) => job.id));

    await platform.queues.fulfilment.drain(true); // Redis loses the waiting jobs
    expect((await platform.reconciler.runOnce()).fulfilment).toBe(3);
    const { rows } = await db.query("SELECT id::text AS id, next_check_at FROM orders WHERE order_no = ANY($1)", [orderNos]);
    const expected = rows.map((row) => fulfilmentJobId({ steps: [{ orderId: row.id, status: 5, due: row.next_check_at.getTime(), polls: 0 }] }));
    const recreated = await platform.queues.fulfilment.getJobs(["wait"]);
    expect(recreated.map((job) => job.id).sort()).toEqual(expected.sort());
    // A second run enqueues them under the same ids again: a no-op.
    await platform.reconciler.runOnce();
    expect(await platform.queues.fulfilment.getJobs(["wait"])).toHaveLength(3);
  } finally {
    await db.end();
    await platform.close();
  }
});

it("leaves callback rounds to their shared job while it waits or runs, and re-creates them once it is gone", async () => {
  const stack = await startStack({ worker: false }); // its own: no other test's work in its queues or tables
  const op = await stack.createOperator();
  const orderNos = [1, 2].map((i) => `ROUNDS${i}${Date.now()}`);
  await Promise.all(orderNos.map((orderNo) => op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }))));
  const platform = new Platform(stack.config, { role: "worker", logger: testLogger(), poolMax: 2, reconcileGraceMs: 500 });
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  const workerConnection = createWorkerConnection(stack.config.redisUrl);
  const worker = new Worker(QueueName.callback, null, { connection: workerConnection, prefix: stack.config.queuePrefix });
  try {
    await platform.queues.fulfilment.drain(true); // this test moves the orders itself
    const { rows } = await db.query<{ id: string }>("SELECT id::text AS id FROM orders WHERE order_no = ANY($1) ORDER BY id", [orderNos]);
    const failed = await Promise.all(
      rows.map((row) => platform.orders.transitionPath(row.id, OrderStatus.Created, [{ to: OrderStatus.Placing }, { to: OrderStatus.Failed, reason: "refused" }])),
    );
    await Promise.all(failed.map((order) => platform.scheduler.scheduleNext(order!, undefined))); // finished together: one job
    const [shared] = await platform.queues.callback.getJobs(["wait"]);
    expect(shared.data.rounds.map((r) => r.orderId).sort()).toEqual(rows.map((r) => r.id).sort());

    // Past the rounds' due time (their first attempt + the grace) while the job still waits, then runs.
    const later = () => new Date(Math.max(...failed.map((o) => o!.nextCheckAt!.getTime())) + 1_000);
    expect(await platform.reconciler.runOnce(later())).toEqual({ fulfilment: 0, callbacks: 0, stranded: 0, orphans: 0, slots: 0 });
    const taken = await worker.getNextJob("test-token");
    expect(taken?.id).toBe(shared.id);
    expect(await platform.reconciler.runOnce(later())).toEqual({ fulfilment: 0, callbacks: 0, stranded: 0, orphans: 0, slots: 0 });
    expect(await platform.queues.callback.getJobCounts("wait", "delayed")).toMatchObject({ wait: 0, delayed: 0 });

    // The job ends without closing the rounds (its worker lost, Redis emptied): each round gets a job of its own.
    await taken!.moveToCompleted("gone", "test-token", false);
    expect(await platform.reconciler.runOnce(later())).toEqual({ fulfilment: 0, callbacks: 2, stranded: 0, orphans: 0, slots: 0 });
    const recreated = await platform.queues.callback.getJobs(["wait"]);
    expect(recreated.map((job) => job.id).sort()).toEqual(rows.map((r) => callbackJobId({ rounds: [{ orderId: r.id, round: 1 }] })).sort());
    await platform.reconciler.runOnce(later()); // the same ids again: a no-op
    expect(await platform.queues.callback.getJobs(["wait"])).toHaveLength(2);
  } finally {
    await worker.close();
    workerConnection.disconnect();
    await db.end();
    await platform.close();
    await stack.close();
  }
});

it("lets queued work excuse an overdue order for QUEUED_EXCUSE_MAX_MS beyond the grace at most, and replaces its job once Redis lost its state entry", async () => {
  const stack = await startStack({ worker: false });
  const op = await stack.createOperator();
  const orderNo = `EXCUSE${Date.now()}`;
  await op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }));
  const platform = new Platform(stack.config, { role: "worker", logger: testLogger(), poolMax: 2, reconcileGraceMs: 500 });
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query("SELECT id::text AS id, next_check_at FROM orders WHERE order_no = $1", [orderNo]);
    const due: number = rows[0].next_check_at.getTime();
    const jobId = fulfilmentJobId({ steps: [{ orderId: rows[0].id, status: 5, due, polls: 0 }] });
    await eventually(async () => ((await platform.queues.fulfilment.getJobState(jobId)) === "waiting" ? true : undefined));

    // Its job waits at the head of the queue: a backlog excuses the order for a while …
    expect((await platform.reconciler.runOnce(new Date(due + 500 + QUEUED_EXCUSE_MAX_MS / 2))).fulfilment).toBe(0);
    // … not for ever (the job is still there: adding it again is a no-op).
    expect(await platform.reconciler.runOnce(new Date(due + 500 + QUEUED_EXCUSE_MAX_MS + 1_000))).toEqual({ fulfilment: 1, callbacks: 0, stranded: 0, orphans: 0, slots: 0 });
    expect(await platform.queues.fulfilment.getJobs(["wait"])).toHaveLength(1);

    // Redis loses the wait list: the job's hash is left in no list, and is replaced.
    await platform.redis.del(platform.queues.fulfilment.toKey("wait"));
    expect(await platform.queues.fulfilment.getJobState(jobId)).toBe("unknown");
    expect(await platform.reconciler.runOnce(new Date(due + 1_000))).toEqual({ fulfilment: 1, callbacks: 0, stranded: 1, orphans: 0, slots: 0 });
    expect(await platform.queues.fulfilment.getJobState(jobId)).toBe("waiting");
  } finally {
    await db.end();
    await platform.close();
    await stack.close();
  }
});
