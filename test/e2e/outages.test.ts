import { Client } from "pg";
import { startIngress } from "../../apps/ingress/src";
import { startWorker } from "../../apps/worker/src";
import { Queue } from "bullmq";
import { createWorkerConnection, fulfilmentJobId, QueueName } from "../../packages/queue/src";
import { OperatorClient } from "../support/operator-client";
import { eventually, startStack, testLogger, type Stack } from "../support/stack";
import { databaseUrl } from "../support/postgres";

// The database is the source of truth: without it nothing is acknowledged (503, retry); without
// Redis orders are still accepted once stored, and the worker's reconciler picks them up later.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(() => stack.close());

it("answers HTTP 503 系统繁忙，请稍后重试 on every endpoint while the database is unreachable", async () => {
  const op = await stack.createOperator();
  const down = await startIngress(
    { ...stack.config, port: 0, adminPort: 0, databaseUrl: databaseUrl("topup_database_that_does_not_exist") },
    testLogger(),
    { poolMax: 1 },
  );
  try {
    const client = new OperatorClient(`http://127.0.0.1:${down.operatorPort}`, op.uid, op.key);
    const push = await client.pushOrder(client.push({ order_no: `DOWN${Date.now()}`, notify_url: stack.receiver.url }));
    expect(push.status).toBe(503);
    expect(push.text).toBe('{"code":"400","count":"0","msg":"系统繁忙，请稍后重试"}');
    for (const answer of [await client.queryBalance(), await client.queryOrder("X1")]) {
      expect(answer.status).toBe(503);
      expect(answer.text).toBe('{"code":"400","count":"0","msg":"系统繁忙，请稍后重试","sign":"","data":""}');
    }
  } finally {
    await down.close();
  }
});

it("accepts and stores orders while Redis is unreachable; the reconciler enqueues them once a worker runs", async () => {
  const op = await stack.createOperator();
  // Port 1 on loopback: nothing listens, every Redis command fails at once.
  const noRedis = await startIngress({ ...stack.config, port: 0, adminPort: 0, redisUrl: "redis://127.0.0.1:1" }, testLogger(), { poolMax: 2 });
  const orderNo = `NOREDIS${Date.now()}`;
  try {
    const client = new OperatorClient(`http://127.0.0.1:${noRedis.operatorPort}`, op.uid, op.key);
    const push = await client.pushOrder(client.push({ order_no: orderNo, notify_url: stack.receiver.url }));
    expect(push.text).toBe('{"code":"200","count":"1","msg":"Success"}');
  } finally {
    await noRedis.close();
  }
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  try {
    const stored = await db.query("SELECT status FROM orders WHERE order_no = $1", [orderNo]);
    expect(stored.rows).toEqual([{ status: 5 }]);

    const worker = await startWorker(stack.config, testLogger(), { poolMax: 2, reconcileEveryMs: 0, reconcileGraceMs: 0 });
    try {
      expect((await worker.reconcileNow()).fulfilment).toBeGreaterThanOrEqual(1);
      const [callback] = await stack.receiver.waitFor(orderNo);
      expect(callback.fields.status).toBe("4");
      await eventually(async () => {
        const { rows } = await db.query("SELECT status, callback_state FROM orders WHERE order_no = $1", [orderNo]);
        return rows[0].callback_state === "acked" ? rows[0] : undefined;
      });
      // Reconciling again finds nothing left to do for it, and sends nothing twice.
      await worker.reconcileNow();
      await new Promise((r) => setTimeout(r, 200));
      expect(stack.receiver.for(orderNo)).toHaveLength(1);
    } finally {
      await worker.close();
    }
  } finally {
    await db.end();
  }
});

it("enqueues a stored but never enqueued order again when the operator repeats the push", async () => {
  const op = await stack.createOperator();
  const noRedis = await startIngress({ ...stack.config, port: 0, adminPort: 0, redisUrl: "redis://127.0.0.1:1" }, testLogger(), { poolMax: 2 });
  const orderNo = `REPLAY${Date.now()}`;
  const fields = { order_no: orderNo, notify_url: stack.receiver.url };
  try {
    const client = new OperatorClient(`http://127.0.0.1:${noRedis.operatorPort}`, op.uid, op.key);
    expect((await client.pushOrder(client.push(fields))).text).toBe('{"code":"200","count":"1","msg":"Success"}');
  } finally {
    await noRedis.close();
  }
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  const redis = createWorkerConnection(stack.config.redisUrl);
  const queue = new Queue(QueueName.fulfilment, { connection: redis, prefix: stack.config.queuePrefix });
  try {
    const { rows } = await db.query("SELECT id::text AS id, status, next_check_at FROM orders WHERE order_no = $1", [orderNo]);
    expect(rows).toHaveLength(1);
    const jobId = fulfilmentJobId({ steps: [{ orderId: rows[0].id, status: 5, due: rows[0].next_check_at.getTime(), polls: 0 }] });
    expect(await queue.getJob(jobId)).toBeUndefined(); // stored, but Redis never heard of it
    const replay = await op.pushOrder(op.push(fields)); // through the stack's own ingress, Redis up
    expect(replay.text).toBe('{"code":"200","count":"1","msg":"Success"}');
    const job = await eventually(async () => (await queue.getJob(jobId)) ?? undefined);
    expect(job.data.steps).toMatchObject([{ orderId: rows[0].id, status: 5 }]);
    expect((await db.query("SELECT count(*)::int AS n FROM orders WHERE order_no = $1", [orderNo])).rows[0].n).toBe(1);
  } finally {
    await queue.close();
    redis.disconnect();
    await db.end();
  }
});
