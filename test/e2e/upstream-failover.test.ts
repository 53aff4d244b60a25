import { FakeSupplier, postNotify, supplierCallback, type SupplierReply } from "../support/fake-supplier";
import type { OperatorClient } from "../support/operator-client";
import { clearQueues, eventually, startStack, type Stack } from "../support/stack";

// Fulfilment across upstream channels (PROTOCOL §12), against scripted suppliers: every row of the
// push-answer table, every supplier status, failover chains, exhausted and missing routes, hold
// time, and the rule that an unknown outcome is never a failure.
let stack: Stack;
let operator: OperatorClient;
const suppliers: FakeSupplier[] = [];
let seq = 0;

beforeAll(async () => {
  stack = await startStack({
    reachable: true,
    config: { defaultChannel: "" },
    worker: { upstream: { firstQueryMs: 50, timeoutMs: 400 }, reconcileEveryMs: 200, reconcileGraceMs: 100, channelsMaxAgeMs: 50 },
  });
  operator = await stack.createOperator();
});
afterAll(async () => {
  await stack.close();
  await Promise.all(suppliers.map((s) => s.close()));
});

interface Route {
  faceValue: number;
  codes: string[];
  suppliers: FakeSupplier[];
}

/** `n` scripted suppliers as upstream channels, and a route of them (in that order) for one face value of its own. */
async function route(n: number, extra: Record<string, unknown> = {}): Promise<Route> {
  const id = seq++;
  const faceValue = 1000 + id * 100;
  const codes: string[] = [];
  const made: FakeSupplier[] = [];
  for (let i = 0; i < n; i++) {
    const supplier = await new FakeSupplier(`80${id}${i}`, `k${id}x${i}`.padEnd(32, "a")).start();
    suppliers.push(supplier);
    const code = `s${id}-${i}`;
    const res = await stack.admin("POST", "/admin/channels", { code, kind: "upstream", config: { baseUrl: supplier.url, uid: supplier.uid, md5key: supplier.key } });
    expect(res.status).toBe(201);
    codes.push(code);
    made.push(supplier);
  }
  expect((await stack.admin("POST", "/admin/routes", { channels: codes, faceValues: [faceValue], ...extra })).status).toBe(201);
  return { faceValue, codes, suppliers: made };
}

async function push(faceValue: number, phone = "13812345678"): Promise<{ orderNo: string; id: string; serial: string }> {
  const orderNo = `fo-${Date.now()}-${seq++}`;
  const answer = await operator.pushOrder(operator.push({ order_no: orderNo, phone_number: phone, face_value: String(faceValue), notify_url: stack.receiver.url }));
  expect(answer.json.code).toBe("200");
  const data = (await operator.orderData(orderNo));
  return { orderNo, id: String(data.id), serial: data.serialNumber };
}

async function finalStatus(orderNo: string): Promise<string> {
  const [callback] = await stack.receiver.waitFor(orderNo, 1, 20_000);
  return callback.fields.status;
}

async function detail(id: string): Promise<any> {
  return (await stack.admin("GET", `/admin/orders/${id}`)).body;
}

/** A supplier that takes every order and reports it recharged (4) at once. */
function recharges(supplier: FakeSupplier): void {
  supplier.onPush = (fields, s) => s.take(fields, 4);
}

/** A push script that answers `first` once, then takes the order and reports it recharged. */
function firstThenRecharge(first: SupplierReply): (fields: Record<string, string>, supplier: FakeSupplier) => SupplierReply {
  let n = 0;
  return (fields, supplier) => (n++ === 0 ? first : supplier.take(fields, 4));
}

describe("the supplier's answer to the push", () => {
  test('code "200": placed; the supplier\'s status decides', async () => {
    const r = await route(2);
    recharges(r.suppliers[0]);
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(r.suppliers[0].pushesOf(order.serial)).toHaveLength(1);
    expect(r.suppliers[1].pushes).toHaveLength(0);
    const pushed = r.suppliers[0].pushes[0];
    expect(pushed).toMatchObject({ uid: r.suppliers[0].uid, order_no: order.serial, phone_number: "13812345678", face_value: String(r.faceValue), notify_url: `${stack.config.publicBaseUrl}/1/api/channel/${r.codes[0]}/notify` });
    const { channelAttempts, mobileOrderNo } = await detail(order.id);
    expect(mobileOrderNo).toBe(`M${order.serial}`);
    expect(channelAttempts).toEqual([expect.objectContaining({ channelCode: r.codes[0], attemptNo: 1, outcome: "succeeded" })]);
  });

  test('code "400" with any message but 订单号重复: refused, the next channel takes it, through 6 → 6', async () => {
    const r = await route(2);
    r.suppliers[0].onPush = (_f, s) => s.refuse("余额不足");
    recharges(r.suppliers[1]);
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    const d = await detail(order.id);
    expect(d.channel).toBe(r.codes[1]);
    expect(d.channelAttempts.map((a: any) => [a.channelCode, a.outcome])).toEqual([[r.codes[0], "refused"], [r.codes[1], "succeeded"]]);
    expect(d.channelAttempts[0].answer).toContain("余额不足");
    const failover = d.transitions.find((t: any) => t.from === 6 && t.to === 6);
    expect(failover.reason).toBe(`failover from ${r.codes[0]}: placing with ${r.codes[1]}`);
  });

  test('code "400" 订单号重复: unknown — the supplier is asked, and holds the order: no second channel', async () => {
    const r = await route(2);
    r.suppliers[0].onPush = (fields, s) => {
      s.take(fields, 4);
      return s.refuse("订单号重复");
    };
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(r.suppliers[0].queries.length).toBeGreaterThan(0);
    expect(r.suppliers[1].pushes).toHaveLength(0);
  });

  test("HTTP 503 and 429: pushed to the same channel again; after 3 such answers, the next channel", async () => {
    const once = await route(2);
    once.suppliers[0].onPush = firstThenRecharge({ status: 429, body: "请求过于频繁" });
    const a = await push(once.faceValue);
    expect(await finalStatus(a.orderNo)).toBe("4");
    expect(once.suppliers[0].pushesOf(a.serial)).toHaveLength(2);
    expect(once.suppliers[1].pushes).toHaveLength(0);

    const always = await route(2);
    always.suppliers[0].onPush = () => ({ status: 503, body: "系统繁忙，请稍后重试" });
    recharges(always.suppliers[1]);
    const b = await push(always.faceValue);
    expect(await finalStatus(b.orderNo)).toBe("4");
    expect(always.suppliers[0].pushesOf(b.serial)).toHaveLength(3);
    expect((await detail(b.id)).channelAttempts.map((x: any) => x.outcome)).toEqual(["busy", "succeeded"]);
  }, 30_000);

  test.each<[string, SupplierReply]>([
    ["a timeout", "hang"],
    ["a reset", "reset"],
    ["another HTTP status", { status: 500, body: "Internal Server Error" }],
    ["a body that is not the envelope", { body: "<html>ok</html>" }],
  ])("%s after the supplier took the order: unknown, asked, settled with that supplier alone", async (_name, reply) => {
    const r = await route(2);
    r.suppliers[0].onPush = (fields, s) => {
      s.take(fields, 4);
      return reply;
    };
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(r.suppliers[0].pushesOf(order.serial)).toHaveLength(1);
    expect(r.suppliers[1].pushes).toHaveLength(0);
  });

  test("a supplier that is down (connection refused): unknown, so the order waits with it and is placed once it is back", async () => {
    const r = await route(2);
    const supplier = r.suppliers[0];
    recharges(supplier);
    const port = Number(new URL(supplier.url).port);
    await supplier.close();
    const order = await push(r.faceValue);
    const waiting = await eventually(async () => {
      const d = await detail(order.id);
      return d.channelAttempts[0]?.outcome === "unknown" ? d : undefined;
    });
    expect(waiting.status).toBe(6);
    expect(waiting.channelAttempts).toEqual([expect.objectContaining({ channelCode: r.codes[0], answer: expect.stringContaining("ECONNREFUSED") })]);
    await supplier.start(port);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(supplier.pushesOf(order.serial)).toHaveLength(1);
    expect(r.suppliers[1].pushes).toHaveLength(0);
  }, 30_000);

  test("an unknown push the supplier never got (订单不存在 when asked): pushed again to the same channel", async () => {
    const r = await route(2);
    r.suppliers[0].onPush = firstThenRecharge("reset");
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(r.suppliers[0].pushesOf(order.serial)).toHaveLength(2);
    expect(r.suppliers[1].pushes).toHaveLength(0);
  });
});

describe("the supplier's statuses (query answers)", () => {
  test("5, 6, 0, 1 wait; 2 is paying; 4 succeeds with the supplier's mobileOrderNo — a lost callback settled by polling", async () => {
    const r = await route(1);
    const seen: number[] = [];
    const statuses = [5, 6, 0, 1, 2, 4];
    r.suppliers[0].onQuery = (o, _f, s) => {
      if (o) o.statusId = statuses[Math.min(seen.length, statuses.length - 1)];
      if (o) seen.push(o.statusId);
      return s.report(o);
    };
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    const d = await detail(order.id);
    expect(d.transitions.map((t: any) => t.to)).toEqual([5, 6, 0, 2, 4]);
    expect(d.mobileOrderNo).toBe(`M${order.serial}`);
    expect(seen).toEqual(statuses);
  }, 30_000);

  test.each([9, 10])("%i is a definitive failure: the next channel", async (statusId) => {
    const r = await route(2);
    r.suppliers[0].onPush = (f, s) => s.take(f, statusId);
    recharges(r.suppliers[1]);
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect((await detail(order.id)).channelAttempts.map((a: any) => a.outcome)).toEqual(["failed", "succeeded"]);
  });

  test("订单不存在 for an order the supplier took: pushed again to it, never failed over", async () => {
    const r = await route(2);
    let lost = false;
    r.suppliers[0].onQuery = (o, _f, s) => {
      if (o && !lost) {
        lost = true;
        s.orders.delete(o.serial);
        return s.report(undefined);
      }
      return s.report(o && { ...o, statusId: 4 });
    };
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(lost).toBe(true);
    expect(r.suppliers[0].pushesOf(order.serial)).toHaveLength(2);
    expect(r.suppliers[1].pushes).toHaveLength(0);
  });

  test("a query answer with a wrong sign, or garbled, is unknown: asked again, never failed over", async () => {
    const r = await route(2);
    r.suppliers[0].onPush = (f, s) => s.take(f, 10);
    let n = 0;
    r.suppliers[0].onQuery = (o, _f, s) => (n++ < 2 ? (n === 1 ? s.report(o, "f".repeat(32)) : { body: "{}" }) : s.report(o && { ...o, statusId: 4 }));
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect(r.suppliers[1].pushes).toHaveLength(0);
    expect(n).toBeGreaterThanOrEqual(3);
  }, 30_000);
});

describe("routes", () => {
  test("every channel failed: 10, with each channel's answer as the reason", async () => {
    const r = await route(2);
    r.suppliers[0].onPush = (_f, s) => s.refuse("余额不足");
    r.suppliers[1].onPush = (f, s) => s.take(f, 10);
    const order = await push(r.faceValue);
    expect(await finalStatus(order.orderNo)).toBe("10");
    const last = (await detail(order.id)).transitions.at(-1);
    expect(last.reason).toMatch(new RegExp(`^every channel failed: ${r.codes[0]}: refused \\(.*余额不足.*\\); ${r.codes[1]}: failed`));
  });

  test("no route and no DEFAULT_CHANNEL: 10 无可用渠道 at once", async () => {
    const order = await push(99_900);
    expect(await finalStatus(order.orderNo)).toBe("10");
    expect((await detail(order.id)).transitions.map((t: any) => [t.to, t.reason])).toEqual([[5, "accepted"], [10, "无可用渠道"]]);
  });

  test("no eligible channel: the order waits at 5, is placed once one is, and goes to 10 无可用渠道 after the hold time", async () => {
    const held = await route(1, { holdMs: 60_000 });
    recharges(held.suppliers[0]);
    await stack.admin("PATCH", `/admin/channels/${held.codes[0]}`, { enabled: false });
    const waiting = await push(held.faceValue);
    await new Promise((r) => setTimeout(r, 500));
    expect((await detail(waiting.id)).status).toBe(5);
    await stack.admin("PATCH", `/admin/channels/${held.codes[0]}`, { enabled: true });
    expect(await finalStatus(waiting.orderNo)).toBe("4");

    const expiring = await route(1, { holdMs: 1_500 });
    await stack.admin("PATCH", `/admin/channels/${expiring.codes[0]}`, { enabled: false });
    const order = await push(expiring.faceValue);
    await new Promise((r) => setTimeout(r, 300));
    // Redis loses the order's delayed job: the reconciler alone must end the hold.
    await clearQueues(stack.config.redisUrl, stack.config.queuePrefix);
    expect(await finalStatus(order.orderNo)).toBe("10");
    const d = await detail(order.id);
    expect(d.transitions.at(-1).reason).toBe("无可用渠道");
    expect(new Date(d.finishedAt).getTime() - new Date(d.createdAt).getTime()).toBeGreaterThanOrEqual(1_500);
    expect(expiring.suppliers[0].pushes).toHaveLength(0);
  }, 30_000);
});

describe("supplier callbacks", () => {
  test("a signed callback settles the order without a query; a repeat changes nothing", async () => {
    const r = await route(1);
    r.suppliers[0].onQuery = () => "hang";
    const order = await push(r.faceValue);
    await eventually(async () => (r.suppliers[0].pushesOf(order.serial).length > 0 && (await detail(order.id)).status === 0 ? true : undefined));
    const s = r.suppliers[0];
    const fields = supplierCallback({ uid: s.uid, key: s.key, serial: order.serial, phone: "13812345678", faceValue: r.faceValue, status: 4, mobileOrderNo: "MOBILE-1" });
    const send = () => postNotify(stack.baseUrl, r.codes[0], fields);
    expect(await send()).toBe("ok");
    // Committed before "ok": the order is final the moment the supplier has its answer.
    const d = await detail(order.id);
    expect(d.status).toBe(4);
    expect(d.mobileOrderNo).toBe("MOBILE-1");
    expect(await send()).toBe("ok");
    expect(await finalStatus(order.orderNo)).toBe("4");
    expect((await detail(order.id)).transitions.filter((t: any) => t.to === 4)).toHaveLength(1);
  });

  test("a callback naming a channel the order was never placed with is refused (fail)", async () => {
    const r = await route(2);
    recharges(r.suppliers[0]);
    const order = await push(r.faceValue);
    await finalStatus(order.orderNo);
    const s = r.suppliers[1];
    const fields = supplierCallback({ uid: s.uid, key: s.key, serial: order.serial, phone: "13812345678", faceValue: r.faceValue, status: 10 });
    expect(await postNotify(stack.baseUrl, r.codes[1], fields)).toBe("fail");
  });
});
