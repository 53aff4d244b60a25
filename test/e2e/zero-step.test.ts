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
