/** §5 check order, operator / IP / sign / business rules, callback destinations at push, idempotency. */
import { startStack, type Stack } from "../support/stack";
import { Operator, PUSH_SUCCESS, orderNo, pushFailure, queryFailure, sign, sleep, type PushInput } from "./client";
import { Receiver } from "./receiver";

let stack: Stack;
let op: Operator;
let other: Operator;
let disabled: Operator;
let fenced: Operator; // whitelist excludes 127.0.0.1
let listed: Operator; // whitelist with the exact IP
let cidr: Operator; // whitelist with a CIDR
let strict: Operator; // strictCarrier
let receiver: Receiver;

beforeAll(async () => {
  stack = await startStack();
  receiver = await new Receiver().start();
  const mk = async (input: Record<string, unknown>) => {
    const c = await stack.createOperator(input);
    return new Operator(stack.baseUrl, c.uid, c.key);
  };
  [op, other, disabled, fenced, listed, cidr, strict] = await Promise.all([
    mk({ name: "规则测试" }),
    mk({ name: "另一个运营商" }),
    mk({ name: "停用", enabled: false }),
    mk({ name: "白名单外", ipWhitelist: ["10.0.0.0/8", "203.0.113.7"] }),
    mk({ name: "白名单IP", ipWhitelist: ["203.0.113.7", "127.0.0.1"] }),
    mk({ name: "白名单CIDR", ipWhitelist: ["127.0.0.0/8"] }),
    mk({ name: "严格号段", strictCarrier: true }),
  ]);
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const push = (o: Operator, overrides: Partial<PushInput> = {}) =>
  o.order({ order_no: orderNo("R"), notify_url: receiver.url(), ...overrides });
const resign = (o: Operator, f: PushInput): PushInput => ({ ...f, sign: sign.push(f.uid, f.order_no, f.phone_number, f.face_value, o.key) });

async function notStored(o: Operator, no: string): Promise<void> {
  expect((await o.query(no)).text).toBe(queryFailure("订单不存在"));
}

describe("§5 check order", () => {
  test("required before format: missing sign + malformed phone → 缺少参数: sign", async () => {
    const f = push(op, { phone_number: "123" });
    const { sign: _s, ...rest } = f;
    expect((await op.push(rest as Record<string, string>)).text).toBe(pushFailure("缺少参数: sign"));
  });
  test("format before operator: unknown uid + malformed phone → 参数格式错误: phone_number", async () => {
    expect((await op.push(push(op, { uid: "no_such_uid", phone_number: "123" }))).text).toBe(pushFailure("参数格式错误: phone_number"));
  });
  test("unknown uid (any sign) → 运营商不存在或已停用", async () => {
    expect((await op.push(push(op, { uid: "no_such_uid" }))).text).toBe(pushFailure("运营商不存在或已停用"));
    expect((await op.push(push(op, { uid: "no_such_uid", sign: "0".repeat(32) }))).text).toBe(pushFailure("运营商不存在或已停用"));
  });
  test("disabled operator with a correct sign → 运营商不存在或已停用 on all three endpoints", async () => {
    const f = push(disabled);
    expect((await disabled.push(f)).text).toBe(pushFailure("运营商不存在或已停用"));
    expect((await disabled.balance()).text).toBe(queryFailure("运营商不存在或已停用"));
    expect((await disabled.query(f.order_no)).text).toBe(queryFailure("运营商不存在或已停用"));
  });
  test("operator before IP: (covered) — IP before sign: non-whitelisted caller with a wrong sign → IP不在白名单", async () => {
    expect((await fenced.push(push(fenced, { sign: "0".repeat(32) }))).text).toBe(pushFailure("IP不在白名单"));
    expect((await fenced.balance("0".repeat(32))).text).toBe(queryFailure("IP不在白名单"));
    expect((await fenced.query("X", "0".repeat(32))).text).toBe(queryFailure("IP不在白名单"));
  });
  test("sign before business rules: wrong sign + face value not offered → 签名错误", async () => {
    expect((await op.push(push(op, { face_value: "99", sign: "0".repeat(32) }))).text).toBe(pushFailure("签名错误"));
  });
  test("sign before business rules: wrong sign + refused notify_url → 签名错误", async () => {
    expect((await op.push(push(op, { notify_url: "http://127.0.0.2:9/cb", sign: "0".repeat(32) }))).text).toBe(pushFailure("签名错误"));
  });
  test("sign before business rules: wrong sign + carrier mismatch (strict) → 签名错误", async () => {
    expect((await strict.push(push(strict, { phone_number: "13912345678", mobile_type: "3", sign: "0".repeat(32) }))).text).toBe(
      pushFailure("签名错误"),
    );
  });
  test("a sign made with another operator's key → 签名错误", async () => {
    const f = push(op);
    expect((await op.push({ ...f, sign: sign.push(f.uid, f.order_no, f.phone_number, f.face_value, other.key) })).text).toBe(pushFailure("签名错误"));
  });
  test("sign covers exactly uid+order_no+phone_number+face_value+key: changing order_type / mobile_type / notify_url keeps it valid", async () => {
    const f = push(op);
    expect((await op.push({ ...f, order_type: "4", mobile_type: "3" })).text).toBe(PUSH_SUCCESS);
    const g = push(op);
    expect((await op.push({ ...g, face_value: "2000" })).text).toBe(pushFailure("签名错误"));
    expect((await op.push({ ...g, phone_number: "13912340000" })).text).toBe(pushFailure("签名错误"));
  });
  test("(listed order of business rules) face value before carrier: strict + mismatch + 99 → 不支持的面值", async () => {
    expect((await strict.push(push(strict, { phone_number: "13912345678", mobile_type: "3", face_value: "99" }))).text).toBe(pushFailure("不支持的面值"));
  });
  test("(listed order of business rules) carrier before notify_url: strict + mismatch + refused URL → 号码与运营商类型不符", async () => {
    expect((await strict.push(push(strict, { phone_number: "13912345678", mobile_type: "3", notify_url: "http://127.0.0.2:9/cb" }))).text).toBe(
      pushFailure("号码与运营商类型不符"),
    );
  });
  test("(listed order of business rules) face value before notify_url: 99 + refused URL → 不支持的面值", async () => {
    expect((await op.push(push(op, { face_value: "99", notify_url: "http://127.0.0.2:9/cb" }))).text).toBe(pushFailure("不支持的面值"));
  });
  test("business rules before idempotency: reused order_no, changed content, face not offered → 不支持的面值", async () => {
    const f = push(op);
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    expect((await op.push(resign(op, { ...f, face_value: "99" }))).text).toBe(pushFailure("不支持的面值"));
  });
  test("sign before idempotency: reused order_no, changed content, wrong sign → 签名错误", async () => {
    const f = push(op);
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    expect((await op.push({ ...f, phone_number: "13912349999" })).text).toBe(pushFailure("签名错误"));
  });
  test("query endpoints: wrong sign on an unknown order → 签名错误 (sign before lookup)", async () => {
    expect((await op.query("NOPE_1", "f".repeat(32))).text).toBe(queryFailure("签名错误"));
  });
});

describe("§5 rejected pushes store nothing", () => {
  for (const [label, overrides, msg] of [
    ["wrong sign", { sign: "0".repeat(32) }, "签名错误"],
    ["face not offered", { face_value: "99" }, "不支持的面值"],
    ["refused notify_url", { notify_url: "http://127.0.0.2:9/cb" }, "回调地址无效"],
  ] as [string, Partial<PushInput>, string][]) {
    test(`${label}: later valid push of the same order_no succeeds (not 订单号重复)`, async () => {
      const f = push(op, overrides);
      expect((await op.push(f)).text).toBe(pushFailure(msg));
      await notStored(op, f.order_no);
      const g = push(op, { order_no: f.order_no });
      expect((await op.push(g)).text).toBe(PUSH_SUCCESS);
    });
  }
});

describe("§5 IP whitelist", () => {
  test("caller outside the list → IP不在白名单 on every endpoint (correct sign)", async () => {
    const f = push(fenced);
    expect((await fenced.push(f)).text).toBe(pushFailure("IP不在白名单"));
    expect((await fenced.balance()).text).toBe(queryFailure("IP不在白名单"));
    expect((await fenced.query(f.order_no)).text).toBe(queryFailure("IP不在白名单"));
  });
  test("exact IP in the list → accepted", async () => {
    expect((await listed.push(push(listed))).text).toBe(PUSH_SUCCESS);
    expect(JSON.parse((await listed.balance()).text).code).toBe("200");
  });
  test("CIDR in the list → accepted", async () => {
    expect((await cidr.push(push(cidr))).text).toBe(PUSH_SUCCESS);
  });
  test("empty list allows all", async () => {
    expect((await op.push(push(op))).text).toBe(PUSH_SUCCESS);
  });
  test("X-Forwarded-For is ignored when TRUSTED_PROXIES is empty", async () => {
    expect((await fenced.push(push(fenced), { "x-forwarded-for": "203.0.113.7" })).text).toBe(pushFailure("IP不在白名单"));
    expect((await fenced.balance(undefined, { "x-forwarded-for": "10.1.2.3" })).text).toBe(queryFailure("IP不在白名单"));
    expect((await listed.push(push(listed), { "x-forwarded-for": "198.51.100.1" })).text).toBe(PUSH_SUCCESS);
  });
});

describe("§5 carrier check (strictCarrier)", () => {
  const segs: [string, string][] = [
    ["13912345678", "1"],
    ["18612345678", "2"],
    ["18912345678", "3"],
  ];
  for (const [phone, mt] of segs) {
    test(`strict: ${phone} with its own mobile_type ${mt} → accepted; with the others → 号码与运营商类型不符`, async () => {
      expect((await strict.push(push(strict, { phone_number: phone, mobile_type: mt }))).text).toBe(PUSH_SUCCESS);
      for (const wrong of ["1", "2", "3"].filter((x) => x !== mt)) {
        const f = push(strict, { phone_number: phone, mobile_type: wrong });
        expect((await strict.push(f)).text).toBe(pushFailure("号码与运营商类型不符"));
        await notStored(strict, f.order_no);
      }
    });
  }
  test("not strict (default): a mismatched carrier is accepted (携号转网)", async () => {
    expect((await op.push(push(op, { phone_number: "13912345678", mobile_type: "3" }))).text).toBe(PUSH_SUCCESS);
  });
});

describe("§5 face value catalogue narrowed per operator (admin faceValues, docs/operations.md)", () => {
  let narrowed: Operator;
  beforeAll(async () => {
    const c = await stack.createOperator({ name: "面值目录", faceValues: [1000, 5000] });
    narrowed = new Operator(stack.baseUrl, c.uid, c.key);
  });
  test("listed values accepted for every order_type/mobile_type; others → 不支持的面值", async () => {
    expect((await narrowed.push(push(narrowed, { face_value: "1000" }))).text).toBe(PUSH_SUCCESS);
    expect((await narrowed.push(push(narrowed, { face_value: "5000", order_type: "4", mobile_type: "3" }))).text).toBe(PUSH_SUCCESS);
    for (const v of ["2000", "100", "100000"]) expect((await narrowed.push(push(narrowed, { face_value: v }))).text).toBe(pushFailure("不支持的面值"));
  });
  test("sign is checked first: wrong sign + unlisted value → 签名错误", async () => {
    expect((await narrowed.push(push(narrowed, { face_value: "2000", sign: "1".repeat(32) }))).text).toBe(pushFailure("签名错误"));
  });
});

describe("§5/§7 notify_url destinations at push", () => {
  for (const url of [
    "http://127.0.0.2:9/cb",
    "http://127.255.255.254/cb",
    "http://[::1]:9/cb",
    "https://127.0.0.2/cb",
    "http://2130706434/cb", // 127.0.0.2 in decimal form
  ]) {
    test(`${url} (loopback outside CALLBACK_ALLOWED_CIDRS) → 回调地址无效`, async () => {
      const f = push(op, { notify_url: url });
      expect((await op.push(f)).text).toBe(pushFailure("回调地址无效"));
      await notStored(op, f.order_no);
    });
  }
  test("127.0.0.1 (inside CALLBACK_ALLOWED_CIDRS) is allowed, http and https", async () => {
    expect((await op.push(push(op, { notify_url: "http://127.0.0.1:9/cb?x=1" }))).text).toBe(PUSH_SUCCESS);
    expect((await op.push(push(op, { notify_url: "https://127.0.0.1:9/cb" }))).text).toBe(PUSH_SUCCESS);
  });
});

describe("§5 idempotency on (uid, order_no)", () => {
  test("same content again → the original success answer, same order", async () => {
    const f = push(op);
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    const first = await op.orderInfo(f.order_no);
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    expect((await op.push({ ...f, sign: f.sign.toUpperCase() })).text).toBe(PUSH_SUCCESS);
    expect((await op.pushJson({ ...f, face_value: Number(f.face_value), order_type: 1, mobile_type: 1 })).text).toBe(PUSH_SUCCESS);
    const again = await op.orderInfo(f.order_no);
    expect(again.id).toBe(first.id);
    expect(again.serialNumber).toBe(first.serialNumber);
    expect(again.gmtCreate).toBe(first.gmtCreate);
  });

  const changes: [string, Partial<PushInput>][] = [
    ["order_type", { order_type: "2" }],
    ["mobile_type", { mobile_type: "2" }],
    ["phone_number", { phone_number: "13912340001" }],
    ["face_value", { face_value: "2000" }],
    ["notify_url", { notify_url: "http://127.0.0.1:9/other" }],
  ];
  for (const [label, change] of changes) {
    test(`same order_no with a different ${label} → 订单号重复; the stored order is unchanged`, async () => {
      const f = push(op);
      expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
      const before = await op.orderInfo(f.order_no);
      expect((await op.push(resign(op, { ...f, ...change }))).text).toBe(pushFailure("订单号重复"));
      const after = await op.orderInfo(f.order_no);
      expect([after.id, after.amount, after.rechargePhoneNumber]).toEqual([before.id, before.amount, before.rechargePhoneNumber]);
      // and the original content is still accepted as a repeat
      expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    });
  }

  test("notify_url is compared as the exact string: another spelling of the same URL is different content → 订单号重复", async () => {
    for (const [a, b] of [
      ["http://127.0.0.1:9/cb", "http://127.0.0.1:09/cb"],
      ["http://127.0.0.1:9/cb", "HTTP://127.0.0.1:9/cb"],
      ["http://127.0.0.1:80/cb", "http://127.0.0.1/cb"],
    ]) {
      const f = push(op, { notify_url: a });
      expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
      expect((await op.push({ ...f, notify_url: b })).text).toBe(pushFailure("订单号重复"));
    }
  });

  test("idempotency is per operator: two operators may use the same order_no", async () => {
    const no = orderNo("SHARED");
    expect((await op.push(push(op, { order_no: no }))).text).toBe(PUSH_SUCCESS);
    expect((await other.push(push(other, { order_no: no, phone_number: "18612345678" }))).text).toBe(PUSH_SUCCESS);
    const a = await op.orderInfo(no);
    const b = await other.orderInfo(no);
    expect(a.id).not.toBe(b.id);
    expect(b.rechargePhoneNumber).toBe("18612345678");
    expect(a.operatorsName).toBe("规则测试");
    expect(b.operatorsName).toBe("另一个运营商");
  });

  test("an operator cannot query another operator's order → 订单不存在", async () => {
    const f = push(op);
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    expect((await other.query(f.order_no)).text).toBe(queryFailure("订单不存在"));
  });

  test("concurrent pushes of two different contents for one order_no: one content wins, the other gets 订单号重复", async () => {
    const no = orderNo("RACE");
    const a = push(op, { order_no: no, phone_number: "13912340011" });
    const b = push(op, { order_no: no, phone_number: "13912340012" });
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => op.push(i % 2 ? a : b).then((r) => ({ i, text: r.text }))));
    const info = await op.orderInfo(no);
    const winner = info.rechargePhoneNumber === a.phone_number ? 1 : 0;
    expect([a.phone_number, b.phone_number]).toContain(info.rechargePhoneNumber);
    for (const { i, text } of answers) expect(text).toBe(i % 2 === winner ? PUSH_SUCCESS : pushFailure("订单号重复"));
    await sleep(10);
  });
});
