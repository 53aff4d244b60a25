import type { ChildProcess } from "node:child_process";
import { connect, createServer, type Socket } from "node:net";
import { Client } from "pg";
import { CLOSE_GRACE_MS, startWorker } from "../../apps/worker/src";
import { eventually, startStack, testLogger, type Stack } from "../support/stack";
import { startWorkerProcess } from "../support/worker-process";

// Worker processes under faults (issue #3):
// - kill -9: the job it held comes back to another worker within seconds — BullMQ's stalled-job
//   recovery with WORKER_LOCKING (10 s lock, 5 s check), not its 30–60 s defaults — and the callback
//   is then delivered. The reconciler is off here, so only the lock expiry can bring the job back.
//   (Found by test/faults, scenario "worker-kill9".)
// - SIGTERM while Redis is unreachable: the process still exits, after CLOSE_GRACE_MS at most.
//   (Found by test/faults, scenario "redis-restart".)
let stack: Stack;
let child: ChildProcess | null = null;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await stack.close();
});


it("redelivers a callback whose worker was killed mid-attempt within 20 s, with no reconciler", async () => {
  const op = await stack.createOperator();
  child = await startWorkerProcess(stack.config);
  let killedAt = 0;
  // The first attempt reaches the receiver; the worker holding it is killed before any answer.
  stack.receiver.respond = (_cb, res) => {
    if (killedAt === 0) {
      killedAt = Date.now();
      child?.kill("SIGKILL");
      return;
    }
    res.end("ok");
  };
  const orderNo = `CRASH${Date.now()}`;
  const push = await op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }));
  expect(push.json.code).toBe("200");
  await eventually(async () => (killedAt > 0 ? true : undefined), 15_000);

  const survivor = await startWorker(stack.config, testLogger(), { poolMax: 2, reconcileEveryMs: 0 });
  try {
    const received = await stack.receiver.waitFor(orderNo, 2, 25_000);
    expect(received[1].at - killedAt).toBeLessThan(20_000);
    const db = new Client({ connectionString: stack.config.databaseUrl });
    await db.connect();
    try {
      const state = await eventually(async () => {
        const { rows } = await db.query("SELECT callback_state FROM orders WHERE order_no = $1", [orderNo]);
        return rows[0]?.callback_state === "acked" ? rows[0].callback_state : undefined;
      });
      expect(state).toBe("acked");
      // The killed attempt was never recorded: the redelivery is attempt 1, acknowledged.
      const { rows } = await db.query(
        "SELECT attempt_no, acknowledged FROM callback_attempts a JOIN orders o ON o.id = a.order_id WHERE o.order_no = $1",
        [orderNo],
      );
      expect(rows).toEqual([{ attempt_no: 1, acknowledged: true }]);
    } finally {
      await db.end();
    }
  } finally {
    stack.receiver.respond = (_cb, res) => res.end("ok");
    await survivor.close();
  }
}, 60_000);

/** A TCP relay to the test Redis that can be cut, so that "Redis goes away" needs no Redis restart. */
async function cuttableRedis(redisUrl: string): Promise<{ url: string; cut: () => void }> {
  const target = new URL(redisUrl);
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: target.hostname, port: Number(target.port || 6379) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}

it("exits on SIGTERM within its grace period while Redis is unreachable", async () => {
  const relay = await cuttableRedis(stack.config.redisUrl);
  const proc = await startWorkerProcess({ ...stack.config, redisUrl: relay.url });
  child = proc;
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => proc.once("exit", (code) => resolve({ code, at: Date.now() })));
  relay.cut();
  await new Promise((r) => setTimeout(r, 500));
  const sentAt = Date.now();
  proc.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), CLOSE_GRACE_MS + 10_000)))]);
  clearTimeout(timer);
  expect(exit).not.toBeNull();
  expect(exit?.code).toBe(0);
  expect((exit?.at ?? Infinity) - sentAt).toBeLessThan(CLOSE_GRACE_MS + 5_000);
}, CLOSE_GRACE_MS + 30_000);
