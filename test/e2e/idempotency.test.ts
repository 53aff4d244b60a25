import { Client } from "pg";
import { eventually, startStack, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// PROTOCOL §5: idempotency on (uid, order_no) forever, including concurrent identical pushes.
let stack: Stack;
let op: OperatorClient;

beforeAll(async () => {
  stack = await startStack();
  op = await stack.createOperator({ rateBp: 9900 });
});
afterAll(() => stack.close());

async function count(sql: string, params: unknown[]): Promise<number> {
  const client = new Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(sql, params);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

it("turns 25 concurrent identical pushes into one order, one settlement and one callback", async () => {
  const orderNo = `CONC${Date.now()}`;
  const fields = op.push({ order_no: orderNo, notify_url: stack.receiver.url, face_value: "5000" });
  const answers = await Promise.all(Array.from({ length: 25 }, () => op.pushOrder(fields)));
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('{"code":"200","count":"1","msg":"Success"}');
  }
  await stack.receiver.waitFor(orderNo);
  await new Promise((r) => setTimeout(r, 500)); // room for any duplicate to show up
  expect(await count("SELECT count(*) AS n FROM orders WHERE order_no = $1", [orderNo])).toBe(1);
  expect(stack.receiver.for(orderNo)).toHaveLength(1);
  expect(
    await count("SELECT count(*) AS n FROM ledger_entries e JOIN orders o ON o.id = e.order_id WHERE o.order_no = $1", [orderNo]),
  ).toBe(1);
  expect(
    await count("SELECT count(*) AS n FROM order_transitions t JOIN orders o ON o.id = t.order_id WHERE o.order_no = $1", [orderNo]),
  ).toBe(5);
});

it("keeps answering the original success for the same order after it has finished", async () => {
  const orderNo = `AGAIN${Date.now()}`;
  const fields = op.push({ order_no: orderNo, notify_url: stack.receiver.url });
  await op.pushOrder(fields);
  await stack.receiver.waitFor(orderNo);
  const again = await op.pushOrder(fields);
  expect(again.text).toBe('{"code":"200","count":"1","msg":"Success"}');
  await new Promise((r) => setTimeout(r, 300));
  expect(stack.receiver.for(orderNo)).toHaveLength(1);
});

it("treats the same order_no from two operators as two orders", async () => {
  const other = await stack.createOperator();
  const orderNo = `SHARED${Date.now()}`;
  await op.pushOrder(op.push({ order_no: orderNo, notify_url: stack.receiver.url }));
  await other.pushOrder(other.push({ order_no: orderNo, notify_url: stack.receiver.url }));
  await eventually(async () => (stack.receiver.for(orderNo).length === 2 ? true : undefined));
  expect(new Set(stack.receiver.for(orderNo).map((c) => c.fields.uid))).toEqual(new Set([op.uid, other.uid]));
});
