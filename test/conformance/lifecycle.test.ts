/** §6/§10 sandbox outcomes seen through the order query and the callback; §9 order query fields. */
import { startStack, type Stack } from "../support/stack";
import {
  CALLBACK_FIELDS,
  ORDER_KEYS,
  Operator,
  PUSH_SUCCESS,
  STATUS_NAMES,
  STATUS_RANK,
  TERMINAL,
  decodeQuerySuccess,
  orderNo,
  sleep,
  verifyCallbackSign,
  type OrderData,
  type PushInput,
} from "./client";
import { Receiver } from "./receiver";

let stack: Stack;
let op: Operator;
let receiver: Receiver;
const OPERATOR_NAME = "生命周期运营商";

beforeAll(async () => {
  stack = await startStack({ config: { simulatorStepMs: 40 } });
  receiver = await new Receiver().start();
  const c = await stack.createOperator({ name: OPERATOR_NAME });
  op = new Operator(stack.baseUrl, c.uid, c.key);
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

/** Checks the §9 field types and values of one order query answer (raw), returns the data. */
async function queryChecked(o: Operator, f: PushInput, pushedAt: [number, number]): Promise<OrderData> {
  const ans = await o.query(f.order_no);
  const d = decodeQuerySuccess(ans, o.key);
  const data = d.inner.data as unknown as OrderData;
  expect(Object.keys(data)).toEqual(ORDER_KEYS);
  expect(typeof data.amount).toBe("number");
  expect(data.amount).toBe(Number(f.face_value));
  expect(typeof data.gmtCreate).toBe("number");
  expect(Number.isInteger(data.gmtCreate)).toBe(true);
  expect(data.gmtCreate).toBeGreaterThanOrEqual(pushedAt[0] - 1000);
  expect(data.gmtCreate).toBeLessThanOrEqual(pushedAt[1] + 1000);
  expect(typeof data.id).toBe("number");
  expect(Number.isSafeInteger(data.id)).toBe(true);
  expect(typeof data.mobileOrderNo).toBe("string");
  expect(typeof data.operatorSn).toBe("string");
  expect(data.operatorSn).toBe(f.order_no);
  expect(data.operatorsName).toBe(OPERATOR_NAME);
  expect(typeof data.rechargePhoneNumber).toBe("string");
  expect(data.rechargePhoneNumber).toBe(f.phone_number);
  expect(typeof data.serialNumber).toBe("string");
  expect(data.serialNumber).toMatch(/^\d+$/);
  expect(typeof data.statusId).toBe("number");
  expect(data.statusName).toBe(STATUS_NAMES[data.statusId]);
  // the raw data text carries the strings quoted (no precision loss)
  expect(d.data).toContain(`"operatorSn":"${f.order_no}"`);
  expect(d.data).toContain(`"rechargePhoneNumber":"${f.phone_number}"`);
  expect(d.data).toContain(`"operatorsName":"${OPERATOR_NAME}"`);
  return data;
}

interface Tracked {
  f: PushInput;
  pushedAt: [number, number];
  seen: OrderData[];
}

async function pushAndFollow(phone: string, untilMs = 15_000, stopAtStatus?: number, holdMs = 0): Promise<Tracked> {
  const f = op.order({ order_no: orderNo("LC"), phone_number: phone, notify_url: receiver.url() });
  const t0 = Date.now();
  const ans = await op.push(f);
  const t1 = Date.now();
  expect(ans.text).toBe(PUSH_SUCCESS);
  const t: Tracked = { f, pushedAt: [t0, t1], seen: [] };
  const deadline = Date.now() + untilMs;
  let holdUntil = 0;
  for (;;) {
    const d = await queryChecked(op, f, t.pushedAt);
    t.seen.push(d);
    if (TERMINAL.has(d.statusId)) break;
    if (stopAtStatus !== undefined && d.statusId === stopAtStatus) {
      if (!holdUntil) holdUntil = Date.now() + holdMs;
      if (Date.now() >= holdUntil) break;
    }
    if (Date.now() > deadline) break;
    await sleep(10);
  }
  return t;
}

function checkMonotonic(seen: OrderData[]): void {
  const ids = seen.map((s) => s.statusId);
  for (let i = 1; i < ids.length; i++) {
    if (TERMINAL.has(ids[i - 1])) expect(ids[i]).toBe(ids[i - 1]);
    expect(STATUS_RANK[ids[i]]).toBeGreaterThanOrEqual(STATUS_RANK[ids[i - 1]]);
  }
  for (const s of seen) {
    // mobileOrderNo: "" until the channel placed the order (status 0), then 18 digits, never changing
    if (s.statusId === 5 || s.statusId === 6) expect(s.mobileOrderNo).toBe("");
    else expect(s.mobileOrderNo).toMatch(/^\d{18}$/);
  }
  const assigned = new Set(seen.map((s) => s.mobileOrderNo).filter((m) => m !== ""));
  expect(assigned.size).toBeLessThanOrEqual(1);
  expect(new Set(seen.map((s) => s.id)).size).toBe(1);
  expect(new Set(seen.map((s) => s.serialNumber)).size).toBe(1);
}

async function checkCallback(t: Tracked, status: number, quietMs = 300): Promise<void> {
  const hits = await receiver.waitFor(t.f.order_no, 1, 15_000);
  await sleep(quietMs); // acknowledged: no second callback
  expect(receiver.for(t.f.order_no)).toHaveLength(1);
  const hit = hits[0];
  expect(hit.method).toBe("POST");
  expect(hit.entries.map(([k]) => k)).toEqual(CALLBACK_FIELDS);
  const last = t.seen[t.seen.length - 1];
  expect(hit.fields).toEqual({
    uid: op.uid,
    order_no: t.f.order_no,
    mobile_order_no: last.mobileOrderNo,
    phone_number: t.f.phone_number,
    face_value: t.f.face_value,
    status: String(status),
    sign: hit.fields.sign,
  });
  expect(verifyCallbackSign(hit.fields, op.key)).toBe(true);
}

describe("§10 sandbox outcomes (query + callback)", () => {
  const cases: [string, number, number[]][] = [
    ["13900000010", 10, [5, 6, 0, 10]],
    ["13900010010", 10, [5, 6, 0, 10]],
    ["13900000009", 9, [5, 6, 0, 2, 1, 9]],
    ["13911110009", 9, [5, 6, 0, 2, 1, 9]],
    ["13912345678", 4, [5, 6, 0, 2, 4]],
    ["13900000011", 4, [5, 6, 0, 2, 4]],
    ["13900000020", 4, [5, 6, 0, 2, 4]],
    ["13900001010", 4, [5, 6, 0, 2, 4]],
    ["13900000100", 4, [5, 6, 0, 2, 4]],
    ["13900000001", 4, [5, 6, 0, 2, 4]],
  ];
  // all sandbox orders run at the same time; each test then checks its own
  const runs = new Map<string, Promise<{ t?: Tracked; e?: unknown }>>();
  let quiet: Promise<unknown>;
  beforeAll(() => {
    for (const [phone] of cases) runs.set(phone, pushAndFollow(phone).then((t) => ({ t }), (e) => ({ e })));
    // the two …0002 orders: followed until they have sat at 2 for a while
    runs.set("13900000002", pushAndFollow("13900000002", 15_000, 2, 1200).then((t) => ({ t }), (e) => ({ e })));
    runs.set("13911110002", pushAndFollow("13911110002", 15_000, 2, 100).then((t) => ({ t }), (e) => ({ e })));
    // once every sandbox order has been called back, a quiet period shows no second callback arrives
    quiet = Promise.allSettled(
      cases.map(([phone]) => runs.get(phone)!.then((r) => (r.t ? receiver.waitFor(r.t.f.order_no, 1, 15_000) : undefined))),
    ).then(() => sleep(300));
  });

  for (const [phone, final, allowed] of cases) {
    test(`…${phone.slice(-4)} (${phone}) → ${final} ${STATUS_NAMES[final]}; statuses never go backwards; callback status ${final}`, async () => {
      const run = await runs.get(phone)!;
      if (run.e) throw run.e;
      const t = run.t!;
      const ids = t.seen.map((s) => s.statusId);
      expect(ids[ids.length - 1]).toBe(final);
      for (const id of ids) expect(allowed).toContain(id);
      checkMonotonic(t.seen);
      await quiet;
      await checkCallback(t, final, 0);
      // a terminal status never changes: repeated queries answer the same bytes
      const a = await op.query(t.f.order_no);
      for (let i = 0; i < 5; i++) expect((await op.query(t.f.order_no)).text).toBe(a.text);
    });
  }

  test("…0002 stays at 2 网厅支付中 (no callback) until an administrator resolves it: resolve to 4 → callback 4", async () => {
    const run = await runs.get("13900000002")!;
    if (run.e) throw run.e;
    const t = run.t!;
    const ids = t.seen.map((s) => s.statusId);
    expect(ids[ids.length - 1]).toBe(2);
    for (const id of ids) expect([5, 6, 0, 2]).toContain(id);
    checkMonotonic(t.seen);
    expect(receiver.for(t.f.order_no)).toHaveLength(0);
    const id = t.seen[0].id;
    const r = await stack.admin("POST", `/admin/orders/${id}/resolve`, { status: 4, reason: "conformance" });
    expect(r.status).toBeGreaterThanOrEqual(200);
    expect(r.status).toBeLessThan(300);
    const after = await queryChecked(op, t.f, t.pushedAt);
    expect(after.statusId).toBe(4);
    t.seen.push(after);
    await checkCallback(t, 4);
    // terminal: a later resolution to 10 must not change it
    await stack.admin("POST", `/admin/orders/${id}/resolve`, { status: 10, reason: "must not apply" });
    expect((await queryChecked(op, t.f, t.pushedAt)).statusId).toBe(4);
    await sleep(200);
    expect(receiver.for(t.f.order_no)).toHaveLength(1);
  });

  test("…0002 resolved to 10 → callback 10", async () => {
    const run = await runs.get("13911110002")!;
    if (run.e) throw run.e;
    const t = run.t!;
    expect(t.seen[t.seen.length - 1].statusId).toBe(2);
    const r = await stack.admin("POST", `/admin/orders/${t.seen[0].id}/resolve`, { status: 10 });
    expect(r.status).toBeLessThan(300);
    const after = await queryChecked(op, t.f, t.pushedAt);
    expect(after.statusId).toBe(10);
    t.seen.push(after);
    await checkCallback(t, 10);
  });

  test("the callback comes only once the order is terminal: at receipt the query shows the callback's status", async () => {
    const f = op.order({ order_no: orderNo("CB"), phone_number: "13900000010", notify_url: receiver.url() });
    let statusAtCallback: number | undefined;
    receiver.responders.set(f.order_no, () => ({ status: 200, body: "ok" }));
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    const [hit] = await receiver.waitFor(f.order_no, 1, 15_000);
    statusAtCallback = (await op.orderInfo(f.order_no)).statusId;
    expect(String(statusAtCallback)).toBe(hit.fields.status);
  });

  test("(admin order view, docs/operations.md) the recorded transitions follow the §10 paths", async () => {
    const paths: [string, number[]][] = [
      ["13912340000", [5, 6, 0, 2, 4]],
      ["13912340010", [5, 6, 0, 10]],
      ["13912340009", [5, 6, 0, 1, 9]],
    ];
    await Promise.all(
      paths.map(async ([phone, expected]) => {
        const f = op.order({ order_no: orderNo("TR"), phone_number: phone, notify_url: receiver.url() });
        expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
        await receiver.waitFor(f.order_no, 1, 15_000);
        const id = (await op.orderInfo(f.order_no)).id;
        const view = await stack.admin("GET", `/admin/orders/${id}`);
        expect(view.status).toBe(200);
        const tr = (view.body.transitions ?? []) as { to: number }[];
        expect(tr.map((t) => t.to)).toEqual(expected);
      }),
    );
  });

  test("ids and serial numbers are unique across orders", async () => {
    const nos = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const f = op.order({ order_no: orderNo("U"), notify_url: receiver.url() });
        expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
        return f.order_no;
      }),
    );
    const infos = await Promise.all(nos.map((n) => op.orderInfo(n)));
    expect(new Set(infos.map((i) => i.id)).size).toBe(8);
    expect(new Set(infos.map((i) => i.serialNumber)).size).toBe(8);
  });
});

describe("§9 order query fields (worker stopped: the order stays at 5)", () => {
  let quiet: Stack;
  let qop: Operator;
  let qreceiver: Receiver;
  beforeAll(async () => {
    quiet = await startStack({ worker: false });
    qreceiver = await new Receiver().start();
    const c = await quiet.createOperator({ name: OPERATOR_NAME });
    qop = new Operator(quiet.baseUrl, c.uid, c.key);
  });
  afterAll(async () => {
    await qreceiver?.close();
    await quiet?.close();
  });

  test("a just-stored order: 5 订单生成, mobileOrderNo \"\", operatorSn with its leading zero byte for byte", async () => {
    const f = qop.order({ order_no: "020160427210604000490", phone_number: "13999999999", face_value: "1000", notify_url: qreceiver.url() });
    const t0 = Date.now();
    expect((await qop.push(f)).text).toBe(PUSH_SUCCESS);
    const t1 = Date.now();
    const d = await queryChecked(qop, f, [t0, t1]);
    expect(d.statusId).toBe(5);
    expect(d.statusName).toBe("订单生成");
    expect(d.mobileOrderNo).toBe("");
    expect(d.operatorSn).toBe("020160427210604000490");
    expect(d.amount).toBe(1000);
    await sleep(300);
    expect(qreceiver.hits).toHaveLength(0); // not terminal: no callback
  });

  test("order_no of 64 chars with _ and -, and digit-only order_no longer than 2^53 stay strings", async () => {
    for (const no of ["-_" + "A9".repeat(31), "99999999999999999999999", "0000000000000000000001"]) {
      const f = qop.order({ order_no: no, notify_url: qreceiver.url() });
      const t0 = Date.now();
      expect((await qop.push(f)).text).toBe(PUSH_SUCCESS);
      const d = await queryChecked(qop, f, [t0, Date.now()]);
      expect(d.operatorSn).toBe(no);
    }
  });

  test("the order pushed via JSON with a numeric face_value reports amount as a number", async () => {
    const f = qop.order({ order_no: orderNo("J"), face_value: "12345", notify_url: qreceiver.url() });
    expect((await qop.pushJson({ ...f, face_value: 12345, order_type: 3, mobile_type: 2 })).text).toBe(PUSH_SUCCESS);
    expect((await qop.orderInfo(f.order_no)).amount).toBe(12345);
  });
});
