import { Client } from "pg";
import { eventually, startStack, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// SIMULATOR_STEP_MS=0: the worker takes consecutive steps inside one job, yet every transition is
// still its own conditional change with its own history row, and the lifecycle is the same.
let stack: Stack;
let op: OperatorClient;

beforeAll(async () => {
  stack = await startStack({ config: { simulatorStepMs: 0 } });
  op = await stack.createOperator();
});
afterAll(() => stack.close());

it.each([
  ["13912345678", [5, 6, 0, 2, 4], "4"],
  ["13912340010", [5, 6, 0, 10], "10"],
  ["13912340009", [5, 6, 0, 1, 9], "9"],
])("takes %s through %j in order and calls back status %s once", async (phone, path, status) => {
  const orderNo = `ZERO${phone}`;
  await op.pushOrder(op.push({ order_no: orderNo, phone_number: phone, notify_url: stack.receiver.url }));
  const [callback] = await stack.receiver.waitFor(orderNo);
  expect(callback.fields.status).toBe(status);
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT t.from_status, t.to_status FROM order_transitions t JOIN orders o ON o.id = t.order_id WHERE o.order_no = $1 ORDER BY t.id`,
      [orderNo],
    );
    expect(rows.map((r) => r.to_status)).toEqual(path);
    expect(rows.map((r) => r.from_status)).toEqual([null, ...path.slice(0, -1)]);
    const order = await eventually(async () => {
      const res = await db.query("SELECT next_check_at, callback_state FROM orders WHERE order_no = $1", [orderNo]);
      return res.rows[0].callback_state === "acked" ? res.rows[0] : undefined;
    });
    expect(order.next_check_at).toBeNull();
  } finally {
    await db.end();
  }
  expect(stack.receiver.for(orderNo)).toHaveLength(1);
});

it("leaves …0002 waiting at 2 with a growing poll delay instead of spinning", async () => {
  const orderNo = "ZERO0002";
  await op.pushOrder(op.push({ order_no: orderNo, phone_number: "13912340002", notify_url: stack.receiver.url }));
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  try {
    const order = await eventually(async () => {
      const res = await db.query("SELECT status, next_check_at FROM orders WHERE order_no = $1", [orderNo]);
      return res.rows[0].status === 2 && res.rows[0].next_check_at ? res.rows[0] : undefined;
    });
    expect(order.next_check_at.getTime() - Date.now()).toBeGreaterThan(500); // the next look is a poll delay away
  } finally {
    await db.end();
  }
});

it("takes orders pushed together each once, and retries a job with a failed step without moving the others twice", async () => {
  const phones = ["13912345678", "13912340010", "13912340009", "13912345679", "13912345670"];
  const orderNos = phones.map((phone, i) => `TOGETHER${i}${Date.now()}`);
  await Promise.all(orderNos.map((orderNo, i) => op.pushOrder(op.push({ order_no: orderNo, phone_number: phones[i], notify_url: stack.receiver.url }))));
  for (const orderNo of orderNos) await stack.receiver.waitFor(orderNo);
  const db = new Client({ connectionString: stack.config.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query(
      `SELECT o.id::text AS id, o.status, count(t.id)::int AS moves,
              (SELECT count(*)::int FROM ledger_entries l WHERE l.order_id = o.id) AS entries
       FROM orders o JOIN order_transitions t ON t.order_id = o.id WHERE o.order_no = ANY($1) GROUP BY o.id ORDER BY o.order_no`,
      [orderNos],
    );
    expect(rows.map((r) => r.status)).toEqual([4, 10, 9, 4, 4]);
    expect(rows.map((r) => r.entries)).toEqual([1, 0, 0, 1, 1]);
    const moves = rows.map((r) => r.moves);

    // A replay of the first steps, with one step the database refuses (not an order id): the job
    // fails so that BullMQ retries it, but only after every other step ran — and found its order moved.
    const fulfilment = stack.worker!.platform.fulfilment;
    const steps = rows.map((r) => ({ orderId: r.id as string, status: 5, due: 0, polls: 0 }));
    await expect(fulfilment.advanceAll([steps[0], { orderId: "not-an-id", status: 5, due: 0, polls: 0 }, ...steps.slice(1)])).rejects.toThrow();
    expect(await fulfilment.advanceAll(steps)).toEqual(steps.map(() => "stale"));
    const again = await db.query(
      `SELECT count(*)::int AS n FROM order_transitions t JOIN orders o ON o.id = t.order_id WHERE o.order_no = ANY($1) GROUP BY o.order_no ORDER BY o.order_no`,
      [orderNos],
    );
    expect(again.rows.map((r) => r.n)).toEqual(moves);
  } finally {
    await db.end();
  }
  for (const orderNo of orderNos) expect(stack.receiver.for(orderNo)).toHaveLength(1);
});
