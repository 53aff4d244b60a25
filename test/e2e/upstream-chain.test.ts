import { postNotify, supplierCallback } from "../support/fake-supplier";
import type { OperatorClient } from "../support/operator-client";
import { eventually, startStack, type Stack } from "../support/stack";

// Two real instances of the platform chained (PROTOCOL §12): A places its orders with an upstream
// channel that is B, where A is an operator; B's sandbox numbers decide each order's outcome, B's
// callbacks reach A's notify endpoint, and A calls its own operator back.
let a: Stack;
let b: Stack;
let operatorAtA: OperatorClient;
let aAtB: OperatorClient;
let seq = 0;

beforeAll(async () => {
  b = await startStack();
  a = await startStack({ reachable: true, config: { defaultChannel: "" } });
  aAtB = await b.createOperator({ name: "平台A" });
  // Prepaid funds at the supplier (docs/channels.md, Balance): A's balance poll must find them.
  expect((await b.admin("POST", `/admin/operators/${aAtB.uid}/adjustments`, { income: 100_000_000, record: "预付款" })).status).toBe(201);
  operatorAtA = await a.createOperator();
  const channel = await a.admin("POST", "/admin/channels", {
    code: "b",
    kind: "upstream",
    config: { baseUrl: b.baseUrl, uid: aAtB.uid, md5key: aAtB.key },
    costBp: 9700,
  });
  expect(channel.status).toBe(201);
  expect((await a.admin("POST", "/admin/routes", { channels: ["b"] })).status).toBe(201);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

async function pushAtA(phone: string): Promise<string> {
  const orderNo = `chain-${Date.now()}-${seq++}`;
  const answer = await operatorAtA.pushOrder(operatorAtA.push({ order_no: orderNo, phone_number: phone, face_value: "1000", notify_url: a.receiver.url }));
  expect(answer.json.code).toBe("200");
  return orderNo;
}

test("an order recharged at B settles at A, with B's order number, one ledger entry each side and the channel's cost", async () => {
  const orderNo = await pushAtA("13812340000");
  const [callback] = await a.receiver.waitFor(orderNo, 1, 30_000);
  expect(callback.fields.status).toBe("4");
  const atA = await operatorAtA.orderData(orderNo);
  const atB = await aAtB.orderData(atA.serialNumber);
  expect(atB.statusId).toBe(4);
  expect(atA.mobileOrderNo).toBe(atB.mobileOrderNo);
  expect(callback.fields.mobile_order_no).toBe(atB.mobileOrderNo);

  const detail = (await a.admin("GET", `/admin/orders/${atA.id}`)).body;
  expect(detail.channelAttempts).toEqual([expect.objectContaining({ channelCode: "b", attemptNo: 1, outcome: "succeeded", costFen: 970 })]);
  // B settled A's order once, A settled its operator's once.
  const ledgerAtB = (await b.admin("GET", `/admin/operators/${aAtB.uid}/ledger`)).body;
  expect(ledgerAtB.filter((e: any) => e.record === "订单收款")).toHaveLength(1);
});

test("B's definitive failure fails A's order (the route has no other channel), with B's answer as the reason", async () => {
  const orderNo = await pushAtA("13812340010");
  const [callback] = await a.receiver.waitFor(orderNo, 1, 30_000);
  expect(callback.fields.status).toBe("10");
  const atA = await operatorAtA.orderData(orderNo);
  const detail = (await a.admin("GET", `/admin/orders/${atA.id}`)).body;
  expect(detail.channelAttempts).toEqual([expect.objectContaining({ channelCode: "b", outcome: "failed" })]);
  expect(detail.transitions.at(-1).reason).toMatch(/^every channel failed: b: failed/);
});

test("an order B returns unpaid (1 → 9) is a definitive failure at A", async () => {
  const orderNo = await pushAtA("13812340009");
  const [callback] = await a.receiver.waitFor(orderNo, 1, 30_000);
  expect(callback.fields.status).toBe("10");
});

test("a manual resolution at B flows back to A", async () => {
  const orderNo = await pushAtA("13812340002");
  const atA = await eventually(async () => {
    const order = await operatorAtA.orderData(orderNo);
    return order.statusId === 0 || order.statusId === 2 ? order : undefined;
  }, 30_000);
  const atB = await eventually(async () => {
    const order = await aAtB.orderData(atA.serialNumber);
    return order.statusId === 2 ? order : undefined;
  }, 30_000);
  const resolved = await b.admin("POST", `/admin/orders/${atB.id}/resolve`, { status: 4, reason: "网厅确认" });
  expect(resolved.status).toBe(200);
  const [callback] = await a.receiver.waitFor(orderNo, 1, 30_000);
  expect(callback.fields.status).toBe("4");
});

describe("the notify endpoint", () => {
  const notify = (fields: Record<string, string>, code = "b") => postNotify(a.baseUrl, code, fields);
  const signed = (serial: string, phone: string, key = aAtB.key, uid = aAtB.uid) => supplierCallback({ uid, key, serial, phone, faceValue: 1000, status: 10 });

  test("forged, mismatched or unknown callbacks are answered fail and change nothing; stale ones ok", async () => {
    const orderNo = await pushAtA("13812340000");
    await a.receiver.waitFor(orderNo, 1, 30_000);
    const settled = await operatorAtA.orderData(orderNo);
    const serial = settled.serialNumber;

    expect(await notify(signed(serial, "13812340000", "f".repeat(32)))).toBe("fail"); // wrong key
    expect(await notify(signed(serial, "13812340000", aAtB.key, "999999"))).toBe("fail"); // wrong uid
    expect(await notify(signed(serial, "13812349999"))).toBe("fail"); // another number
    expect(await notify(signed("20260101" + "9".repeat(12), "13812340000"))).toBe("fail"); // no such order
    expect(await notify(signed(serial, "13812340000"), "nosuch")).toBe("fail"); // unknown channel
    expect(await notify({ uid: aAtB.uid })).toBe("fail"); // malformed
    // Authentic but stale: the order is final at 4; nothing changes.
    expect(await notify(signed(serial, "13812340000"))).toBe("ok");
    expect((await operatorAtA.orderData(orderNo)).statusId).toBe(4);
    expect(a.receiver.for(orderNo)).toHaveLength(1);
  });

  test("a callback the endpoint cannot read is answered fail as text, never with the operators' JSON envelope", async () => {
    const post = async (path: string, headers: Record<string, string>, body: string) => {
      const res = await fetch(`${a.baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
      return [res.status, res.headers.get("content-type"), await res.text()];
    };
    const fail = (status: number) => [status, "text/plain; charset=utf-8", "fail"];
    expect(await post("/1/api/channel/b/notify", {}, `uid=${aAtB.uid}&pad=${"x".repeat(17 * 1024)}`)).toEqual(fail(413));
    expect(await post("/1/api/channel/b/notify", { "content-encoding": "gzip" }, "not gzip")).toEqual(fail(200));
    expect(await post("/1/api/channel/b%ZZ/notify", {}, `uid=${aAtB.uid}`)).toEqual(fail(200));
    // The operator endpoints keep their envelope for the same faults.
    const [status, , body] = await post("/1/api/oper/order", { "content-encoding": "gzip" }, "not gzip");
    expect([status, JSON.parse(body as string).msg]).toEqual([200, "不支持的请求格式"]);
  });
});

test("A reads its prepaid balance at B, and B stays eligible: orders still go through after the poll", async () => {
  // The worker's first poll is a minute away: poll by hand.
  expect(await a.worker!.platform.balancePoller.pollOnce()).toEqual({ read: ["b"], failed: [] });
  const balanceAtB = JSON.parse((await aAtB.queryBalance()).json.data as string).data.accountBalance;
  expect((await a.admin("GET", "/admin/channels/b")).body.balance).toBe(balanceAtB);
  expect(balanceAtB).toBeGreaterThanOrEqual(100_000_000);
  const orderNo = await pushAtA("13812340000");
  const [callback] = await a.receiver.waitFor(orderNo, 1, 30_000);
  expect(callback.fields.status).toBe("4");
});
