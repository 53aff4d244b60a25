import {
  balanceData,
  orderPushFailure,
  orderPushSuccess,
  orderQueryData,
  queryFailure,
  querySuccess,
  responseDataSign,
  type BalanceData,
  type OrderQueryData,
} from "../src";
import { DOC_BALANCE_DATA, V } from "./helpers";

const DOC_BALANCE: BalanceData = {
  accountBalance: 138501,
  billingDate: 1614009600000,
  currency: "人民币",
  expenditure: 0,
  gmtCreate: 1614058382000,
  id: 35,
  income: 1188,
  operatorName: "运营商",
  payMoney: 1200,
  paymentDetailId: 54631,
  record: "订单收款",
};

const DOC_ORDER: OrderQueryData = {
  amount: 1000,
  gmtCreate: 1615105254000,
  id: 54630,
  mobileOrderNo: "507831667054165634",
  operatorSn: "0280399999349719680",
  operatorsName: "yys",
  rechargePhoneNumber: "18888888888",
  serialNumber: "12599351947837504",
  statusId: 4,
  statusName: "充值成功",
};

describe("order push envelopes", () => {
  test("success, byte-exact", () => {
    expect(orderPushSuccess()).toBe('{"code":"200","count":"1","msg":"Success"}');
  });
  test("failure, byte-exact, message as itself", () => {
    expect(orderPushFailure("签名错误")).toBe('{"code":"400","count":"0","msg":"签名错误"}');
    expect(orderPushFailure("缺少参数: uid")).toBe('{"code":"400","count":"0","msg":"缺少参数: uid"}');
  });
  test("a message with quotes stays valid JSON", () => {
    expect(JSON.parse(orderPushFailure('a"b\\c'))).toEqual({ code: "400", count: "0", msg: 'a"b\\c' });
  });
});

describe("query envelopes", () => {
  test("failure, byte-exact", () => {
    expect(queryFailure("订单不存在")).toBe('{"code":"400","count":"0","msg":"订单不存在","sign":"","data":""}');
  });

  test("balance success over the document's example: data and sign exact", () => {
    const data = balanceData(DOC_BALANCE);
    expect(data).toBe(DOC_BALANCE_DATA);
    const text = querySuccess(data, V.key);
    expect(text).toBe(
      `{"code":"200","count":"1","msg":"success","sign":"576cf2f27945a2629c48480c88ac43d1","data":${JSON.stringify(DOC_BALANCE_DATA)}}`,
    );
    // An operator decoding the envelope gets back the exact signed string.
    const parsed = JSON.parse(text) as { sign: string; data: string };
    expect(parsed.data).toBe(DOC_BALANCE_DATA);
    expect(responseDataSign(parsed.data, V.key)).toBe(parsed.sign);
  });

  test("the data string is escaped as a JSON string, non-ASCII kept as itself", () => {
    const text = querySuccess(balanceData(DOC_BALANCE), V.key);
    expect(text).toContain('"data":"{\\"code\\":200,\\"count\\":1,\\"data\\":{\\"accountBalance\\":138501,');
    expect(text).toContain("人民币");
    expect(text).not.toMatch(/\\u[0-9a-f]{4}/i);
  });

  test("order query data: document key order, long numbers as strings", () => {
    expect(orderQueryData(DOC_ORDER)).toBe(
      '{"code":200,"count":1,"data":{"amount":1000,"gmtCreate":1615105254000,"id":54630,"mobileOrderNo":"507831667054165634","operatorSn":"0280399999349719680","operatorsName":"yys","rechargePhoneNumber":"18888888888","serialNumber":"12599351947837504","statusId":4,"statusName":"充值成功"},"msg":"success"}',
    );
  });

  test("keys come out in the documented order whatever order the input object has", () => {
    const shuffled = Object.fromEntries(Object.entries(DOC_BALANCE).reverse()) as unknown as BalanceData;
    expect(balanceData(shuffled)).toBe(DOC_BALANCE_DATA);
    const extra = { ...DOC_ORDER, secret: "x" } as OrderQueryData;
    expect(orderQueryData(extra)).not.toContain("secret");
  });

  test("no ledger entry yet: zeros and an empty record", () => {
    expect(
      balanceData({ ...DOC_BALANCE, accountBalance: 0, income: 0, expenditure: 0, payMoney: 0, paymentDetailId: 0, record: "" }),
    ).toBe(
      '{"code":200,"count":1,"data":{"accountBalance":0,"billingDate":1614009600000,"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":0,"operatorName":"运营商","payMoney":0,"paymentDetailId":0,"record":""},"msg":"success"}',
    );
  });

  test("a negative balance is a valid integer", () => {
    expect(balanceData({ ...DOC_BALANCE, accountBalance: -500 })).toContain('"accountBalance":-500,');
  });

  test.each(["accountBalance", "billingDate", "expenditure", "gmtCreate", "id", "income", "payMoney", "paymentDetailId"] as const)(
    "balance %s must be a safe integer",
    (k) => {
      for (const bad of [1.5, Number.NaN, Infinity, 2 ** 53]) {
        expect(() => balanceData({ ...DOC_BALANCE, [k]: bad })).toThrow(TypeError);
      }
    },
  );

  test.each(["amount", "gmtCreate", "id", "statusId"] as const)("order %s must be a safe integer", (k) => {
    expect(() => orderQueryData({ ...DOC_ORDER, [k]: 507831667054165634 })).toThrow(TypeError);
    expect(() => orderQueryData({ ...DOC_ORDER, [k]: 0.5 })).toThrow(TypeError);
  });

  test("string fields must be strings at run time", () => {
    expect(() => orderQueryData({ ...DOC_ORDER, mobileOrderNo: 507831667054165634 as unknown as string })).toThrow(TypeError);
    expect(() => balanceData({ ...DOC_BALANCE, record: null as unknown as string })).toThrow(TypeError);
  });
});
