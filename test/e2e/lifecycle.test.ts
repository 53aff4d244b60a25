import { callbackSign, responseDataSign } from "@topup/protocol";
import { eventually, startStack, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// PROTOCOL §10: the simulator's sandbox numbers, end to end through HTTP, BullMQ and the callback.
let stack: Stack;
let operator: OperatorClient;

beforeAll(async () => {
  stack = await startStack();
  operator = await stack.createOperator({ rateBp: 9900 });
});
afterAll(() => stack.close());

async function orderDetail(orderNo: string): Promise<any> {
  const query = await operator.queryOrder(orderNo);
  const inner = JSON.parse(query.json.data as string);
  return (await stack.admin("GET", `/admin/orders/${inner.data.id}`)).body;
}

async function settle(orderNo: string, expected: number): Promise<any> {
  return eventually(async () => {
    const detail = await orderDetail(orderNo);
    return detail.status === expected ? detail : undefined;
  });
}

const cases = [
  { suffix: "5678", path: [5, 6, 0, 2, 4], callbackStatus: "4" },
  { suffix: "0010", path: [5, 6, 0, 10], callbackStatus: "10" },
  { suffix: "0009", path: [5, 6, 0, 1, 9], callbackStatus: "9" },
];

describe.each(cases)("sandbox number …$suffix", ({ suffix, path, callbackStatus }) => {
  const orderNo = `0LIFE${suffix}${Date.now()}`;
  const phone = `1391234${suffix}`;

  it(`goes ${path.join(" → ")} and calls back status ${callbackStatus}, signed`, async () => {
    const push = await operator.pushOrder(operator.push({ order_no: orderNo, phone_number: phone, face_value: "1200", notify_url: stack.receiver.url }));
    expect(push.text).toBe('{"code":"200","count":"1","msg":"Success"}');

    const detail = await settle(orderNo, path[path.length - 1]);
    expect(detail.transitions.map((t: { to: number }) => t.to)).toEqual(path);
    expect(detail.transitions[0].from).toBeNull();
    for (let i = 1; i < path.length; i++) expect(detail.transitions[i].from).toBe(path[i - 1]);

    const [callback] = await stack.receiver.waitFor(orderNo);
    expect(callback.contentType).toBe("application/x-www-form-urlencoded; charset=UTF-8");
    expect(Object.keys(callback.fields)).toEqual(["uid", "order_no", "mobile_order_no", "phone_number", "face_value", "status", "sign"]);
    expect(callback.fields).toMatchObject({ uid: operator.uid, order_no: orderNo, phone_number: phone, face_value: "1200", status: callbackStatus });
    expect(callback.fields.mobile_order_no).toMatch(/^[1-9]\d{17}$/);
    expect(callback.fields.sign).toBe(
      callbackSign({ uid: operator.uid, orderNo, phoneNumber: phone, faceValue: 1200, status: Number(callbackStatus) }, operator.key),
    );
    await eventually(async () => ((await orderDetail(orderNo)).callbackState === "acked" ? true : undefined));
    expect(stack.receiver.for(orderNo)).toHaveLength(1);
  });
});

it("settles a successful order once in the ledger, at the operator's rate, and answers the balance from it", async () => {
  const orderNo = `LEDGER${Date.now()}`;
  await operator.pushOrder(operator.push({ order_no: orderNo, phone_number: "13900001234", face_value: "1200", notify_url: stack.receiver.url }));
  await settle(orderNo, 4);
  const ledger = (await stack.admin("GET", `/admin/operators/${operator.uid}/ledger`)).body as any[];
  const entries = ledger.filter((e) => e.orderId !== null && e.record === "订单收款");
  const detail = await orderDetail(orderNo);
  const mine = entries.filter((e) => e.orderId === detail.id);
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({ payMoney: 1200, income: 1188, expenditure: 0, kind: "order_income" });

  const balance = await operator.queryBalance();
  const inner = JSON.parse(balance.json.data as string);
  expect(balance.json.sign).toBe(responseDataSign(balance.json.data as string, operator.key));
  const latest = ledger[0];
  expect(inner.data.paymentDetailId).toBe(Number(latest.id));
  expect(inner.data.accountBalance).toBe(latest.balanceAfter);
  const total = ledger.reduce((sum, e) => sum + e.income - e.expenditure, 0);
  expect(inner.data.accountBalance).toBe(total);
});

it("leaves …0002 at 2 网厅支付中 until an administrator resolves it, then calls back", async () => {
  const orderNo = `STUCK${Date.now()}`;
  await operator.pushOrder(operator.push({ order_no: orderNo, phone_number: "13912340002", notify_url: stack.receiver.url }));
  const detail = await settle(orderNo, 2);
  await new Promise((r) => setTimeout(r, 300)); // several simulator steps: still at 2, no callback
  expect((await orderDetail(orderNo)).status).toBe(2);
  expect(stack.receiver.for(orderNo)).toHaveLength(0);

  const resolved = await stack.admin("POST", `/admin/orders/${detail.id}/resolve`, { status: 4, reason: "paid, confirmed by carrier" });
  expect(resolved.status).toBe(200);
  expect(resolved.body.status).toBe(4);
  const [callback] = await stack.receiver.waitFor(orderNo);
  expect(callback.fields.status).toBe("4");
  const again = await stack.admin("POST", `/admin/orders/${detail.id}/resolve`, { status: 10 });
  expect(again.status).toBe(409);
  const final = await orderDetail(orderNo);
  expect(final.transitions.map((t: { to: number }) => t.to)).toEqual([5, 6, 0, 2, 4]);
});
