import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import IORedis from "ioredis";
import winston from "winston";
import Transport from "winston-transport";
import { Client } from "pg";
import { eventually, startStack, type Stack } from "../support/stack";

// Redis losing part of the platform's keys (a failover to a lagging replica, eviction, a cleanup by
// pattern): what is left must never keep an order from settling.
let stack: Stack;
let redis: IORedis;
let db: Client;

beforeAll(async () => {
  // Steps 400 ms apart: an order's next step waits as a delayed job, long enough to lose it.
  stack = await startStack({ config: { simulatorStepMs: 400 }, worker: { reconcileEveryMs: 200, reconcileGraceMs: 300 } });
  redis = new IORedis(stack.config.redisUrl);
  db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
});
afterAll(async () => {
  redis.disconnect();
  await db.end();
  await stack.close();
});

const key = (suffix: string) => `${stack.config.queuePrefix}:fulfilment:${suffix}`;

it("settles an order whose delayed step Redis lost from the delayed set (its job left in no list), once, with one callback", async () => {
  const op = await stack.createOperator();
  const orderNo = `LOSTDELAY${Date.now()}`;
  await op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }));
  const jobId = await eventually(async () => (await redis.zrange(key("delayed"), 0, -1)).find((id) => id.startsWith("order-")), 10_000, 10);
  await redis.del(key("delayed"));
  expect(await redis.exists(key(jobId))).toBe(1); // the hash is left, in no state list

  const [callback] = await stack.receiver.waitFor(orderNo, 1, 15_000);
  expect(callback.fields.status).toBe("4");
  const row = await eventually(async () => {
    const { rows } = await db.query("SELECT status, callback_state FROM orders WHERE order_no = $1", [orderNo]);
    return rows[0]?.callback_state === "acked" ? rows[0] : undefined;
  });
  expect(row).toEqual({ status: 4, callback_state: "acked" });
  const settled = await db.query("SELECT count(*)::int AS n FROM ledger_entries l JOIN orders o ON o.id = l.order_id WHERE o.order_no = $1", [orderNo]);
  expect(settled.rows[0].n).toBe(1);
  await new Promise((r) => setTimeout(r, 500));
  expect(stack.receiver.for(orderNo)).toHaveLength(1);
});

it("completes and removes a job whose data Redis lost, and goes on working", async () => {
  const husk = "order-999999-s0-t1";
  await redis.rpush(key("wait"), husk); // an id left in the wait list, its hash gone
  const op = await stack.createOperator();
  const orderNo = `AFTERHUSK${Date.now()}`;
  await op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }));
  await stack.receiver.waitFor(orderNo, 1, 15_000);
  await eventually(async () => ((await redis.lpos(key("wait"), husk)) === null && (await redis.lpos(key("active"), husk)) === null ? true : undefined));
  expect(await redis.exists(key(husk))).toBe(0);
  expect(await redis.zscore(key("completed"), husk)).toBeNull();
  expect(await redis.zscore(key("failed"), husk)).toBeNull();
});

class Capture extends Transport {
  readonly entries: { level: string; message: string; policy?: string }[] = [];
  override log(info: { level: string; message: string; policy?: string }, next: () => void): void {
    this.entries.push(info);
    next();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

it("warns at start-up, in ingress and worker, when Redis's maxmemory-policy is not noeviction", async () => {
  const port = await freePort();
  const server: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "volatile-lru"], { stdio: "ignore" });
  const capture = new Capture();
  const bullmqWarning = jest.spyOn(console, "warn").mockImplementation(() => undefined); // BullMQ's own console warning of the same
  try {
    const probe = new IORedis({ port, host: "127.0.0.1" });
    await eventually(() => probe.ping().then(() => true, () => undefined), 5_000);
    probe.disconnect();
    const evicting = await startStack({ config: { redisUrl: `redis://127.0.0.1:${port}` }, logger: winston.createLogger({ level: "info", transports: [capture] }) });
    try {
      const warnings = await eventually(async () => {
        const found = capture.entries.filter((e) => e.level === "warn" && /maxmemory-policy/.test(e.message));
        return found.length >= 2 ? found : undefined; // one per process role (ingress, worker)
      }, 5_000);
      expect(new Set(warnings.map((w) => w.policy))).toEqual(new Set(["volatile-lru"]));
    } finally {
      await evicting.close();
    }
  } finally {
    bullmqWarning.mockRestore();
    server.kill("SIGKILL");
  }
});
