/** §8 balance: fields, income rule, billingDate, accountBalance over successive orders. */
import { startStack, type Stack } from "../support/stack";
import {
  BALANCE_KEYS,
  Operator,
  PUSH_SUCCESS,
  TERMINAL,
  decodeQuerySuccess,
  orderNo,
  shanghaiMidnight,
  sleep,
  type BalanceData,
} from "./client";
import { Receiver } from "./receiver";

let stack: Stack;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startStack({ config: { simulatorStepMs: 5 } });
  receiver = await new Receiver().start();
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

async function makeOperator(name: string, extra: Record<string, unknown> = {}): Promise<{ op: Operator; createdAt: [number, number] }> {
  const t0 = Date.now();
  const c = await stack.createOperator({ name, ...extra });
  return { op: new Operator(stack.baseUrl, c.uid, c.key), createdAt: [t0, Date.now()] };
}

/** Balance answer, checked byte-level by decodeQuerySuccess plus the §8 field types. */
async function balance(op: Operator): Promise<BalanceData> {
  const ans = await op.balance();
  const d = decodeQuerySuccess(ans, op.key);
  const b = d.inner.data as unknown as BalanceData;
  expect(Object.keys(b)).toEqual(BALANCE_KEYS);
  for (const k of ["accountBalance", "billingDate", "expenditure", "gmtCreate", "id", "income", "payMoney", "paymentDetailId"] as const) {
    expect(typeof b[k]).toBe("number");
    expect(Number.isSafeInteger(b[k])).toBe(true);
  }
  expect(b.currency).toBe("人民币");
  expect(typeof b.record).toBe("string");
  expect(typeof b.operatorName).toBe("string");
  expect(b.billingDate).toBe(shanghaiMidnight(b.gmtCreate));
  expect(d.data).not.toMatch(/\\u[0-9a-fA-F]{4}/);
  expect(d.data).toContain('"currency":"人民币"');
  return b;
}

/** Pushes an order and waits until it is terminal; returns the final status and the push window. */
async function runOrder(op: Operator, face: string, phone = "13912345678"): Promise<{ status: number; window: [number, number] }> {
  const f = op.order({ order_no: orderNo("B"), face_value: face, phone_number: phone, notify_url: receiver.url() });
  const t0 = Date.now();
  expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const info = await op.orderInfo(f.order_no);
    if (TERMINAL.has(info.statusId)) return { status: info.statusId, window: [t0, Date.now()] };
    await sleep(10);
  }
  throw new Error(`order ${f.order_no} not terminal`);
}

describe("§8 balance", () => {
  test("no entry yet: zeros, record \"\", gmtCreate = account creation, operatorName, currency, billingDate", async () => {
    const { op, createdAt } = await makeOperator("余额运营商甲", { rateBp: 9900 });
    const b = await balance(op);
    expect(b).toMatchObject({ accountBalance: 0, income: 0, expenditure: 0, payMoney: 0, paymentDetailId: 0, record: "", operatorName: "余额运营商甲" });
    expect(b.gmtCreate).toBeGreaterThanOrEqual(createdAt[0] - 1000);
    expect(b.gmtCreate).toBeLessThanOrEqual(createdAt[1] + 1000);
    // stable between queries
    expect((await balance(op)).gmtCreate).toBe(b.gmtCreate);
  });

  test("successive successful orders: income = floor(face × rateBp / 10000), accountBalance accumulates; failed/returned orders post nothing", async () => {
    const { op } = await makeOperator("余额运营商乙", { rateBp: 9900 });
    const b0 = await balance(op);

    const o1 = await runOrder(op, "1200");
    expect(o1.status).toBe(4);
    const b1 = await balance(op);
    expect(b1).toMatchObject({ record: "订单收款", payMoney: 1200, income: 1188, expenditure: 0, accountBalance: 1188, id: b0.id, operatorName: "余额运营商乙" });
    expect(b1.paymentDetailId).toBeGreaterThan(0);
    expect(b1.gmtCreate).toBeGreaterThanOrEqual(o1.window[0] - 1000);
    expect(b1.gmtCreate).toBeLessThanOrEqual(o1.window[1] + 1000);

    const o2 = await runOrder(op, "1001"); // 1001 × 0.99 = 990.99 → 990
    expect(o2.status).toBe(4);
    const b2 = await balance(op);
    expect(b2).toMatchObject({ record: "订单收款", payMoney: 1001, income: 990, expenditure: 0, accountBalance: 1188 + 990 });
    expect(b2.paymentDetailId).not.toBe(b1.paymentDetailId);
    expect(b2.gmtCreate).toBeGreaterThanOrEqual(b1.gmtCreate);

    expect((await runOrder(op, "5000", "13900000010")).status).toBe(10);
    expect((await runOrder(op, "5000", "13900000009")).status).toBe(9);
    const b3 = await balance(op);
    expect(b3).toEqual(b2);

    const o4 = await runOrder(op, "100000");
    expect(o4.status).toBe(4);
    const b4 = await balance(op);
    expect(b4).toMatchObject({ payMoney: 100000, income: 99000, accountBalance: 1188 + 990 + 99000 });
  });

  for (const [rateBp, face, income] of [
    [9937, 12345, 12267], // 12267.2265
    [9999, 100, 99], // 99.99
    [1, 100000, 10], // 10
    [1, 9999, 0], // 0.9999
    [10000, 777, 777],
  ] as [number, number, number][]) {
    test(`rateBp ${rateBp}, face ${face} → income ${income}`, async () => {
      const { op } = await makeOperator(`费率${rateBp}`, { rateBp });
      expect((await runOrder(op, String(face))).status).toBe(4);
      const b = await balance(op);
      expect(b).toMatchObject({ record: "订单收款", payMoney: face, income, expenditure: 0, accountBalance: income });
    });
  }

  test("rateBp defaults to 10000 (income = face value)", async () => {
    const { op } = await makeOperator("默认费率");
    expect((await runOrder(op, "4321")).status).toBe(4);
    expect(await balance(op)).toMatchObject({ payMoney: 4321, income: 4321, accountBalance: 4321 });
  });

  test("concurrent successful orders: accountBalance is the sum; repeated pushes post nothing more", async () => {
    const { op } = await makeOperator("并发余额", { rateBp: 9900 });
    const faces = [100, 101, 999, 1234, 5000, 77777];
    const results = await Promise.all(faces.map((f) => runOrder(op, String(f))));
    for (const r of results) expect(r.status).toBe(4);
    const expected = faces.reduce((s, f) => s + Math.floor((f * 9900) / 10000), 0);
    const b = await balance(op);
    expect(b.accountBalance).toBe(expected);
    expect(b.record).toBe("订单收款");
    expect(faces).toContain(b.payMoney);
    expect(b.income).toBe(Math.floor((b.payMoney * 9900) / 10000));
  });

  test("a repeated push of a succeeded order does not post a second 订单收款", async () => {
    const { op } = await makeOperator("重复推送", { rateBp: 9900 });
    const f = op.order({ order_no: orderNo("RP"), face_value: "2000", notify_url: receiver.url() });
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    for (const end = Date.now() + 15_000; Date.now() < end && (await op.orderInfo(f.order_no)).statusId !== 4; ) await sleep(10);
    await receiver.waitFor(f.order_no, 1);
    const b1 = await balance(op);
    for (let i = 0; i < 5; i++) expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    await sleep(300);
    expect(await balance(op)).toEqual(b1);
    expect(b1.accountBalance).toBe(1980);
  });

  test("administrator adjustments (admin API) become the latest entry; accountBalance = Σincome − Σexpenditure", async () => {
    const { op } = await makeOperator("手工调整", { rateBp: 9900 });
    expect((await runOrder(op, "1000")).status).toBe(4);
    const r1 = await stack.admin("POST", `/admin/operators/${op.uid}/adjustments`, { income: 500, record: "手工入账" });
    expect(r1.status).toBeLessThan(300);
    const b1 = await balance(op);
    expect(b1).toMatchObject({ record: "手工入账", income: 500, expenditure: 0, accountBalance: 990 + 500 });
    const r2 = await stack.admin("POST", `/admin/operators/${op.uid}/adjustments`, { expenditure: 2000, record: "手工扣款" });
    expect(r2.status).toBeLessThan(300);
    const b2 = await balance(op);
    expect(b2).toMatchObject({ record: "手工扣款", income: 0, expenditure: 2000, accountBalance: 990 + 500 - 2000 });
    expect(b2.paymentDetailId).not.toBe(b1.paymentDetailId);
  });

  test("25 concurrent identical pushes of one order post exactly one 订单收款", async () => {
    const { op } = await makeOperator("并发同单", { rateBp: 9900 });
    const f = op.order({ order_no: orderNo("CC"), face_value: "3000", notify_url: receiver.url() });
    const answers = await Promise.all(Array.from({ length: 25 }, () => op.push(f)));
    for (const a of answers) expect(a.text).toBe(PUSH_SUCCESS);
    await receiver.waitFor(f.order_no, 1);
    await sleep(300);
    const b = await balance(op);
    expect(b).toMatchObject({ payMoney: 3000, income: 2970, accountBalance: 2970 });
    // idempotency is forever: changed content on the finished order → 订单号重复
    const changed = op.order({ order_no: f.order_no, face_value: "3001", notify_url: receiver.url() });
    expect((await op.push(changed)).text).toBe('{"code":"400","count":"0","msg":"订单号重复"}');
  });

  test("an operator name with quotes, backslash, emoji and CJK is carried exactly (compact JSON, no \\u escapes, sign over the exact text)", async () => {
    const name = '运营商"引号\\反斜杠/斜杠 😀 ①';
    const { op } = await makeOperator(name);
    const b = await balance(op);
    expect(b.operatorName).toBe(name);
    const text = (await op.balance()).text;
    expect(text).toContain("😀");
    expect(text).not.toMatch(/\\u[0-9a-fA-F]{4}/);
  });

  test("balance answers of two operators carry their own account id and name", async () => {
    const a = await makeOperator("账户甲");
    const b = await makeOperator("账户乙");
    const ba = await balance(a.op);
    const bb = await balance(b.op);
    expect(ba.id).not.toBe(bb.id);
    expect([ba.operatorName, bb.operatorName]).toEqual(["账户甲", "账户乙"]);
  });
});
