import { Platform } from "@topup/core";
import { fulfilmentJobId } from "@topup/queue";
import { Client } from "pg";
import { eventually, startStack, testLogger, type Stack } from "../support/stack";

// The reconciler re-creates work Redis lost, and must not add work to a queue that is only behind:
// new orders stored together share one job, whose id it cannot know.
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
    expect(await platform.reconciler.runOnce()).toEqual({ fulfilment: 0, callbacks: 0 });
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
