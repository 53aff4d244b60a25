import { balanceQuerySign, orderPushSign, orderQuerySign, responseDataSign } from "@topup/protocol";
import { startStack, type Stack } from "../support/stack";
import type { OperatorClient, PushFields } from "../support/operator-client";

// PROTOCOL §1–§5 and §8–§9 over real HTTP: envelopes byte for byte, every failure message, status codes.
let stack: Stack;
let op: OperatorClient;
let seq = 0;
const nextOrderNo = () => `API${Date.now()}${seq++}`;
const pushFailure = (msg: string) => `{"code":"400","count":"0","msg":"${msg}"}`;
const queryFailure = (msg: string) => `{"code":"400","count":"0","msg":"${msg}","sign":"","data":""}`;
const SUCCESS = '{"code":"200","count":"1","msg":"Success"}';

beforeAll(async () => {
  stack = await startStack({ worker: false });
  op = await stack.createOperator({ name: "运营商", rateBp: 9900 });
});
afterAll(() => stack.close());

function order(overrides: Partial<PushFields> = {}): PushFields {
  return op.push({ order_no: nextOrderNo(), notify_url: stack.receiver.url, ...overrides });
}

describe("transport", () => {
  it("accepts a signed form push and answers the success envelope as JSON UTF-8", async () => {
    const res = await op.pushOrder(order());
    expect(res.status).toBe(200);
    expect(res.contentType).toBe("application/json; charset=utf-8");
    expect(res.text).toBe(SUCCESS);
  });

  it("accepts JSON with Int fields as numbers or strings, signed the same as the form", async () => {
    const fields = order();
    const asNumbers = { ...fields, order_type: 1, mobile_type: 1, face_value: 1000 };
    const res = await op.post("/1/api/oper/order", JSON.stringify(asNumbers), "application/json");
    expect(res.text).toBe(SUCCESS);
    const asStrings = order();
    const res2 = await op.post("/1/api/oper/order", JSON.stringify(asStrings), "application/json; charset=utf-8");
    expect(res2.text).toBe(SUCCESS);
  });

  it.each(["GET", "PUT", "DELETE", "PATCH"])("answers %s with HTTP 405 and the failure envelope", async (method) => {
    const push = await op.post("/1/api/oper/order", "", undefined, method);
    expect(push.status).toBe(405);
    expect(push.json).toMatchObject({ code: "400", count: "0" });
    expect(Object.keys(push.json)).toEqual(["code", "count", "msg"]);
    const query = await op.post("/1/api/oper/balance", "", undefined, method);
    expect(query.status).toBe(405);
    expect(Object.keys(query.json)).toEqual(["code", "count", "msg", "sign", "data"]);
    expect(query.json).toMatchObject({ code: "400", count: "0", sign: "", data: "" });
  });

  it("answers unknown paths with HTTP 404 接口不存在", async () => {
    const res = await op.post("/1/api/oper/orders", "uid=1", "application/x-www-form-urlencoded");
    expect(res.status).toBe(404);
    expect(res.text).toBe(pushFailure("接口不存在"));
  });

  it("refuses bodies over 16 KiB with HTTP 413 and accepts exactly 16 KiB", async () => {
    const fields = new URLSearchParams(order() as unknown as Record<string, string>).toString();
    const exact = `${fields}&pad=${"x".repeat(16 * 1024 - fields.length - 5)}`;
    expect(Buffer.byteLength(exact)).toBe(16 * 1024);
    expect((await op.post("/1/api/oper/order", exact, "application/x-www-form-urlencoded")).text).toBe(SUCCESS);
    const tooBig = await op.post("/1/api/oper/order", `${exact}x`, "application/x-www-form-urlencoded");
    expect(tooBig.status).toBe(413);
    expect(tooBig.text).toBe(pushFailure("请求体过大"));
    const tooBigQuery = await op.post("/1/api/oper/query_order", `${exact}x`, "application/x-www-form-urlencoded");
    expect(tooBigQuery.status).toBe(413);
    expect(tooBigQuery.text).toBe(queryFailure("请求体过大"));
  });

  it.each([
    ["text/plain", "uid=1"],
    ["multipart/form-data; boundary=x", "--x--"],
    [undefined, "uid=1"],
    ["application/json", "[1,2]"],
    ["application/json", "{not json"],
    ["application/json", '"a string"'],
    ["application/x-www-form-urlencoded; charset=gbk", "uid=1"],
  ])("answers content type %s with body %s: 不支持的请求格式", async (type, body) => {
    const res = await op.post("/1/api/oper/order", body, type);
    expect(res.status).toBe(200);
    expect(res.text).toBe(pushFailure("不支持的请求格式"));
  });

  it("answers bytes that are not UTF-8 with 不支持的请求格式", async () => {
    const raw = Buffer.concat([Buffer.from("uid="), Buffer.from([0xff, 0xfe]), Buffer.from("&order_no=1")]);
    expect((await op.post("/1/api/oper/order", raw, "application/x-www-form-urlencoded")).text).toBe(pushFailure("不支持的请求格式"));
    const encoded = await op.post("/1/api/oper/order", "uid=%FF%FE", "application/x-www-form-urlencoded");
    expect(encoded.text).toBe(pushFailure("不支持的请求格式"));
  });
});

describe("field rules", () => {
  const names = ["uid", "order_no", "order_type", "mobile_type", "phone_number", "face_value", "notify_url", "sign"] as const;

  it.each(names)("reports a missing or empty %s as 缺少参数", async (name) => {
    const fields: Record<string, string> = { ...order() };
    delete fields[name];
    expect((await op.pushOrder(fields)).text).toBe(pushFailure(`缺少参数: ${name}`));
    expect((await op.pushOrder({ ...order(), [name]: "" })).text).toBe(pushFailure(`缺少参数: ${name}`));
  });

  it("reports the first missing field before any malformed one", async () => {
    const fields: Record<string, string> = { ...order(), uid: "bad uid!" };
    delete fields.sign;
    expect((await op.pushOrder(fields)).text).toBe(pushFailure("缺少参数: sign"));
  });

  it.each([
    ["uid", "has space"],
    ["uid", "x".repeat(33)],
    ["order_no", "no/slash"],
    ["order_no", "x".repeat(65)],
    ["order_type", "5"],
    ["order_type", "01"],
    ["mobile_type", "4"],
    ["phone_number", "12345678901"],
    ["phone_number", "1381234567"],
    ["face_value", "0100"],
    ["face_value", "1e2"],
    ["face_value", "100.0"],
    ["face_value", "-5"],
    ["notify_url", "ftp://127.0.0.1/cb"],
    ["notify_url", "not a url"],
    ["notify_url", `http://127.0.0.1/${"x".repeat(600)}`],
    ["sign", "xyz"],
  ])("reports %s=%s as 参数格式错误", async (name, value) => {
    expect((await op.pushOrder({ ...order(), [name]: value })).text).toBe(pushFailure(`参数格式错误: ${name}`));
  });

  it("treats a form field given twice as malformed", async () => {
    const body = `${new URLSearchParams(order() as unknown as Record<string, string>).toString()}&phone_number=13800000000`;
    expect((await op.post("/1/api/oper/order", body, "application/x-www-form-urlencoded")).text).toBe(pushFailure("参数格式错误: phone_number"));
  });

  it("treats JSON null as missing and wrong JSON types as malformed", async () => {
    const base = order();
    expect((await op.post("/1/api/oper/order", JSON.stringify({ ...base, face_value: null }), "application/json")).text).toBe(
      pushFailure("缺少参数: face_value"),
    );
    for (const bad of [true, [1000], { v: 1000 }, 1000.5]) {
      const res = await op.post("/1/api/oper/order", JSON.stringify({ ...base, face_value: bad }), "application/json");
      expect(res.text).toBe(pushFailure("参数格式错误: face_value"));
    }
  });
});

describe("operator checks, in the contract's order", () => {
  it("refuses an unknown or disabled uid", async () => {
    expect((await op.pushOrder(order({ uid: "nobody" }))).text).toBe(pushFailure("运营商不存在或已停用"));
    const disabled = await stack.createOperator({ enabled: false });
    expect((await disabled.pushOrder(disabled.push({ order_no: nextOrderNo(), notify_url: stack.receiver.url }))).text).toBe(
      pushFailure("运营商不存在或已停用"),
    );
    expect((await disabled.queryBalance()).text).toBe(queryFailure("运营商不存在或已停用"));
  });

  it("checks the caller IP against the whitelist with real CIDR matching, before the sign", async () => {
    const elsewhere = await stack.createOperator({ ipWhitelist: ["127.0.0.2", "10.0.0.0/8"] });
    const res = await elsewhere.pushOrder(elsewhere.push({ order_no: nextOrderNo(), notify_url: stack.receiver.url, sign: "0".repeat(32) }));
    expect(res.text).toBe(pushFailure("IP不在白名单"));
    const loopback = await stack.createOperator({ ipWhitelist: ["127.0.0.0/8"] });
    expect((await loopback.pushOrder(loopback.push({ order_no: nextOrderNo(), notify_url: stack.receiver.url }))).text).toBe(SUCCESS);
  });

  it("refuses a wrong sign and accepts an upper-case one", async () => {
    const fields = order();
    expect((await op.pushOrder({ ...fields, sign: "0".repeat(32) })).text).toBe(pushFailure("签名错误"));
    expect((await op.pushOrder({ ...fields, sign: fields.sign!.toUpperCase() })).text).toBe(SUCCESS);
  });

  it("refuses face values outside the catalogue", async () => {
    expect((await op.pushOrder(order({ face_value: "99" }))).text).toBe(pushFailure("不支持的面值"));
    expect((await op.pushOrder(order({ face_value: "100001" }))).text).toBe(pushFailure("不支持的面值"));
    expect((await op.pushOrder(order({ face_value: "100" }))).text).toBe(SUCCESS);
    const narrow = await stack.createOperator({ faceValues: [1000, 5000] });
    const push = (fv: string) => narrow.pushOrder(narrow.push({ order_no: nextOrderNo(), notify_url: stack.receiver.url, face_value: fv }));
    expect((await push("2000")).text).toBe(pushFailure("不支持的面值"));
    expect((await push("5000")).text).toBe(SUCCESS);
  });

  it("checks the carrier only for operators with strict carrier checks", async () => {
    const mismatch = { phone_number: "13812345678", mobile_type: "2" }; // 138 is China Mobile
    expect((await op.pushOrder(order(mismatch))).text).toBe(SUCCESS);
    const strict = await stack.createOperator({ strictCarrier: true });
    const res = await strict.pushOrder(strict.push({ order_no: nextOrderNo(), notify_url: stack.receiver.url, ...mismatch }));
    expect(res.text).toBe(pushFailure("号码与运营商类型不符"));
  });

  it("refuses callback destinations outside CALLBACK_ALLOWED_CIDRS that are not public", async () => {
    for (const url of ["http://127.0.0.2:9/cb", "http://[::1]:9/cb", "http://0.0.0.0:9/cb", "http://[::ffff:127.0.0.2]:9/cb"]) {
      expect((await op.pushOrder(order({ notify_url: url }))).text).toBe(pushFailure("回调地址无效"));
    }
  });
});

describe("idempotency on (uid, order_no)", () => {
  it("answers a repeated identical push with the original success, and a changed one with 订单号重复", async () => {
    const fields = order();
    expect((await op.pushOrder(fields)).text).toBe(SUCCESS);
    expect((await op.pushOrder(fields)).text).toBe(SUCCESS);
    const changed = { ...fields, face_value: "2000" };
    changed.sign = orderPushSign({ uid: op.uid, orderNo: fields.order_no, phoneNumber: fields.phone_number, faceValue: 2000 }, op.key);
    expect((await op.pushOrder(changed)).text).toBe(pushFailure("订单号重复"));
    expect((await op.pushOrder({ ...fields, notify_url: `${stack.receiver.url}?x=1` })).text).toBe(pushFailure("订单号重复"));
  });
});

describe("order query", () => {
  it("answers the stored order, signed, with long numbers as strings and order_no byte for byte", async () => {
    const orderNo = `000${Date.now()}00490`;
    await op.pushOrder(order({ order_no: orderNo, phone_number: "13999999999", face_value: "1000" }));
    const res = await op.queryOrder(orderNo);
    expect(Object.keys(res.json)).toEqual(["code", "count", "msg", "sign", "data"]);
    expect(res.json).toMatchObject({ code: "200", count: "1", msg: "success" });
    const data = res.json.data as string;
    expect(res.json.sign).toBe(responseDataSign(data, op.key));
    expect(data).not.toMatch(/\\u/);
    const inner = JSON.parse(data);
    expect(Object.keys(inner)).toEqual(["code", "count", "data", "msg"]);
    expect(inner).toMatchObject({ code: 200, count: 1, msg: "success" });
    expect(Object.keys(inner.data)).toEqual([
      "amount", "gmtCreate", "id", "mobileOrderNo", "operatorSn", "operatorsName", "rechargePhoneNumber", "serialNumber", "statusId", "statusName",
    ]);
    expect(inner.data).toMatchObject({
      amount: 1000, mobileOrderNo: "", operatorSn: orderNo, operatorsName: "运营商", rechargePhoneNumber: "13999999999", statusId: 5, statusName: "订单生成",
    });
    expect(inner.data.serialNumber).toMatch(/^\d+$/);
    expect(Number.isSafeInteger(inner.data.id)).toBe(true);
    expect(Math.abs(inner.data.gmtCreate - Date.now())).toBeLessThan(60_000);
    expect(data).toContain(`"operatorSn":"${orderNo}"`);
  });

  it("answers 订单不存在, and 签名错误 before looking the order up", async () => {
    expect((await op.queryOrder("NOPE-1")).text).toBe(queryFailure("订单不存在"));
    expect((await op.queryOrder("NOPE-1", "0".repeat(32))).text).toBe(queryFailure("签名错误"));
    expect((await op.postForm("/1/api/oper/query_order", { uid: op.uid, sign: orderQuerySign(op.uid, "", op.key) })).text).toBe(
      queryFailure("缺少参数: order_no"),
    );
  });
});

describe("balance query", () => {
  it("answers a new account with zero amounts, gmtCreate the account's creation and billingDate its Shanghai midnight", async () => {
    const fresh = await stack.createOperator({ name: "新运营商" });
    const res = await fresh.queryBalance();
    const data = res.json.data as string;
    expect(res.json.sign).toBe(responseDataSign(data, fresh.key));
    const inner = JSON.parse(data);
    expect(Object.keys(inner.data)).toEqual([
      "accountBalance", "billingDate", "currency", "expenditure", "gmtCreate", "id", "income", "operatorName", "payMoney", "paymentDetailId", "record",
    ]);
    expect(inner.data).toMatchObject({ accountBalance: 0, currency: "人民币", expenditure: 0, income: 0, operatorName: "新运营商", payMoney: 0, paymentDetailId: 0, record: "" });
    const shanghaiMidnight = Math.floor((inner.data.gmtCreate + 8 * 3600_000) / 86_400_000) * 86_400_000 - 8 * 3600_000;
    expect(inner.data.billingDate).toBe(shanghaiMidnight);
    expect(data).toContain('"currency":"人民币"');
  });

  it("describes the latest ledger entry after a manual adjustment", async () => {
    const acct = await stack.createOperator();
    const posted = await stack.admin("POST", `/admin/operators/${acct.uid}/adjustments`, { income: 5000, record: "预存款" });
    expect(posted.status).toBe(201);
    const spent = await stack.admin("POST", `/admin/operators/${acct.uid}/adjustments`, { expenditure: 1200, record: "手工扣款" });
    const inner = JSON.parse((await acct.queryBalance()).json.data as string);
    expect(inner.data).toMatchObject({ accountBalance: 3800, income: 0, expenditure: 1200, payMoney: 0, record: "手工扣款", paymentDetailId: Number(spent.body.id) });
  });

  it("refuses a wrong sign", async () => {
    expect((await op.queryBalance(balanceQuerySign(op.uid, "wrong-key"))).text).toBe(queryFailure("签名错误"));
  });
});

describe("paths", () => {
  it.each(["/1/api/oper/ORDER", "/1/API/oper/order", "/1/api/oper/order/", "/1/api/oper/balance/"])("treats %s as an unknown path", async (path) => {
    const res = await op.postForm(path, order() as unknown as Record<string, string>);
    expect(res.status).toBe(404);
    expect(res.text).toBe(pushFailure("接口不存在"));
  });
});
