import type { OperatorClient } from "../support/operator-client";
import { queryRows } from "../support/postgres";
import { eventually, startStack, type Stack } from "../support/stack";

// PROTOCOL §11/§12: orders routed to a manual channel wait at 6 for staff, who find them
// (GET /admin/orders?channel=&status=) and move them one legal step at a time, audited.
let stack: Stack;
let operator: OperatorClient;
let seq = 0;

beforeAll(async () => {
  stack = await startStack({ config: { defaultChannel: "" }, worker: { channelsMaxAgeMs: 50 } });
  operator = await stack.createOperator({ rateBp: 9900 });
  expect((await stack.admin("POST", "/admin/channels", { code: "webhall", kind: "manual", name: "网厅人工", costBp: 9800 })).status).toBe(201);
  expect((await stack.admin("POST", "/admin/routes", { channels: ["webhall"] })).status).toBe(201);
});
afterAll(() => stack.close());

const sql = (text: string, values: unknown[] = []) => queryRows(stack.config.databaseUrl, text, values);

async function held(): Promise<{ orderNo: string; id: string }> {
  const orderNo = `MANUAL${Date.now()}-${seq++}`;
  expect((await operator.pushOrder(operator.push({ order_no: orderNo, face_value: "5000", notify_url: stack.receiver.url }))).json.code).toBe("200");
  const id = String((await operator.orderData(orderNo)).id);
  await eventually(async () => ((await stack.admin("GET", `/admin/orders/${id}`)).body.status === 6 ? true : undefined));
  return { orderNo, id };
}

const resolve = (id: string, body: unknown) => stack.admin("POST", `/admin/orders/${id}/resolve`, body);

test("staff take an order from 6 through 0 and 2 to 4 with the web hall's order number: one callback, one ledger entry, the cost", async () => {
  const { orderNo, id } = await held();
  // Held: nothing polls it.
  expect((await stack.admin("GET", `/admin/orders/${id}`)).body.nextCheckAt).toBeNull();
  expect((await resolve(id, { status: 2 })).status).toBe(409); // 6 → 2 skips 0
  expect((await resolve(id, { status: 0, reason: "已在网厅下单" })).body.status).toBe(0);
  expect((await resolve(id, { status: 2 })).body.status).toBe(2);
  const done = await resolve(id, { status: 4, mobileOrderNo: "WH202612060001" });
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ status: 4, mobileOrderNo: "WH202612060001" });
  const [callback] = await stack.receiver.waitFor(orderNo);
  expect(callback.fields).toMatchObject({ status: "4", mobile_order_no: "WH202612060001" });
  expect((await resolve(id, { status: 10 })).status).toBe(409); // final

  const detail = (await stack.admin("GET", `/admin/orders/${id}`)).body;
  expect(detail.transitions.map((t: any) => t.to)).toEqual([5, 6, 0, 2, 4]);
  expect(detail.channelAttempts).toEqual([expect.objectContaining({ channelCode: "webhall", outcome: "succeeded", costFen: 4900 })]);
  expect(await sql("SELECT income FROM ledger_entries WHERE order_id = $1", [id])).toEqual([{ income: "4950" }]);
  const audit = await sql("SELECT action, before, after FROM audit_log WHERE target_type = 'order' AND target_id = $1 ORDER BY id", [id]);
  expect(audit.map((a) => [a.action, a.before.status, a.after.status])).toEqual([["order.resolve", 6, 0], ["order.resolve", 0, 2], ["order.resolve", 2, 4]]);
});

test("staff fail an order held at 6: 10, callback 10, no ledger entry", async () => {
  const { orderNo, id } = await held();
  expect((await resolve(id, { status: 10, reason: "号码停机" })).body.status).toBe(10);
  expect((await stack.receiver.waitFor(orderNo))[0].fields.status).toBe("10");
  expect(await sql("SELECT 1 FROM ledger_entries WHERE order_id = $1", [id])).toEqual([]);
});

test("two staff resolving at once move the order once", async () => {
  const { id } = await held();
  const answers = await Promise.all([resolve(id, { status: 0 }), resolve(id, { status: 0 })]);
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
  expect((await stack.admin("GET", `/admin/orders/${id}`)).body.transitions.filter((t: any) => t.to === 0)).toHaveLength(1);
});

test("bad resolutions: 400 for an invalid body, 409 for an order no one may resolve, 404 for none", async () => {
  const { id } = await held();
  expect((await resolve(id, { status: 9 })).status).toBe(400);
  expect((await resolve(id, { status: 4, mobileOrderNo: "bad number!" })).status).toBe(400);
  expect((await resolve(id, {})).status).toBe(400);
  expect((await resolve("999999", { status: 0 })).status).toBe(404);
  // A simulator order on its way (not at 2) is not staff's to move.
  expect((await stack.admin("POST", "/admin/routes", { channels: ["simulator"], faceValues: [1200] })).status).toBe(201);
  const orderNo = `SIM${Date.now()}`;
  await operator.pushOrder(operator.push({ order_no: orderNo, face_value: "1200", phone_number: "13800000002", notify_url: stack.receiver.url }));
  const simId = String((await operator.orderData(orderNo)).id);
  await eventually(async () => ((await stack.admin("GET", `/admin/orders/${simId}`)).body.status === 2 ? true : undefined));
  expect((await resolve(simId, { status: 0 })).status).toBe(409);
  expect((await resolve(simId, { status: 4 })).status).toBe(200);
});

test("staff list the orders waiting at 6 for the manual channel, a page at a time", async () => {
  const waiting = [await held(), await held(), await held()];
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const res = await stack.admin("GET", `/admin/orders?channel=webhall&status=6&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    for (const order of res.body.items) expect(order).toMatchObject({ channel: "webhall", status: 6 });
    ids.push(...res.body.items.map((o: any) => o.id));
    cursor = res.body.nextCursor;
  } while (cursor);
  expect(ids).toEqual(expect.arrayContaining(waiting.map((w) => w.id)));
  expect(ids).toEqual([...ids].sort((a, b) => Number(b) - Number(a)));
});
