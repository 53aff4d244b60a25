/** §2 field rules (form and JSON) and the exact failure messages of §5 for the order push. */
import { startStack, type Stack } from "../support/stack";
import { FORM, JSON_TYPE, Operator, PATHS, PUSH_SUCCESS, formBody, orderNo, pushFailure, queryFailure, sign, type PushInput } from "./client";
import { Receiver } from "./receiver";

let stack: Stack;
let op: Operator;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startStack();
  receiver = await new Receiver().start();
  const c = await stack.createOperator({ name: "字段测试" });
  op = new Operator(stack.baseUrl, c.uid, c.key);
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const FIELD_ORDER = ["uid", "order_no", "order_type", "mobile_type", "phone_number", "face_value", "notify_url", "sign"] as const;
type Field = (typeof FIELD_ORDER)[number];

function valid(overrides: Partial<PushInput> = {}): PushInput {
  return op.order({ order_no: orderNo("F"), notify_url: receiver.url(), ...overrides });
}

/** A push whose one field is replaced by `value`, signed over whatever the sign covers. */
function withField(field: Field, value: string): PushInput {
  const base = valid();
  const f = { ...base, [field]: value } as PushInput;
  if (field !== "sign") f.sign = sign.push(f.uid, f.order_no, f.phone_number, f.face_value, op.key);
  return f;
}

describe("§2/§5 required fields: missing or empty → 缺少参数: X", () => {
  for (const field of FIELD_ORDER) {
    test(`${field} omitted (form)`, async () => {
      const f = valid();
      const entries = Object.entries(f).filter(([k]) => k !== field) as [string, string][];
      expect((await op.push(entries)).text).toBe(pushFailure(`缺少参数: ${field}`));
    });
    test(`${field} empty (form)`, async () => {
      const f = { ...valid(), [field]: "" } as PushInput;
      expect((await op.push(f)).text).toBe(pushFailure(`缺少参数: ${field}`));
    });
    test(`${field} null (JSON) counts as missing`, async () => {
      const f: Record<string, unknown> = { ...valid(), [field]: null };
      expect((await op.pushJson(f)).text).toBe(pushFailure(`缺少参数: ${field}`));
    });
    test(`${field} "" (JSON)`, async () => {
      const f: Record<string, unknown> = { ...valid(), [field]: "" };
      expect((await op.pushJson(f)).text).toBe(pushFailure(`缺少参数: ${field}`));
    });
  }
  test("all fields missing → 缺少参数 for one of the fields", async () => {
    const ans = await op.post(PATHS.order, "", FORM);
    expect(ans.status).toBe(200);
    const msg = JSON.parse(ans.text).msg as string;
    expect(FIELD_ORDER.map((f) => `缺少参数: ${f}`)).toContain(msg);
    expect(ans.text).toBe(pushFailure(msg));
  });
});

describe("§2/§5 malformed fields → 参数格式错误: X", () => {
  const cases: [Field, string][] = [
    ["uid", "abc!"],
    ["uid", "a".repeat(33)],
    ["uid", "运营商"],
    ["uid", "a b"],
    ["uid", "a.b"],
    ["order_no", "a".repeat(65)],
    ["order_no", "a.b"],
    ["order_no", "a/b"],
    ["order_no", "订单1"],
    ["order_no", "a b"],
    ["order_no", "a+b"],
    ["order_type", "0"],
    ["order_type", "5"],
    ["order_type", "01"],
    ["order_type", "1.0"],
    ["order_type", "+1"],
    ["order_type", "-1"],
    ["order_type", " 1"],
    ["order_type", "a"],
    ["order_type", "1e0"],
    ["mobile_type", "0"],
    ["mobile_type", "4"],
    ["mobile_type", "02"],
    ["mobile_type", "1.0"],
    ["phone_number", "12912345678"],
    ["phone_number", "23912345678"],
    ["phone_number", "1391234567"],
    ["phone_number", "139123456789"],
    ["phone_number", "+8613912345678"],
    ["phone_number", " 13912345678"],
    ["phone_number", "13912345678 "],
    ["phone_number", "1391234567a"],
    ["phone_number", "１３９１２３４５６７８"],
    ["face_value", "0100"],
    ["face_value", "1e2"],
    ["face_value", "100.0"],
    ["face_value", "-5"],
    ["face_value", "+100"],
    ["face_value", "0"],
    ["face_value", " 100"],
    ["face_value", "100 "],
    ["face_value", "１００"],
    ["face_value", "0x64"],
    ["face_value", "1_000"],
    ["face_value", "10.5"],
    ["notify_url", "ftp://127.0.0.1/cb"],
    ["notify_url", "127.0.0.1/cb"],
    ["notify_url", "/cb"],
    ["notify_url", "http://"],
    ["notify_url", "javascript:alert(1)"],
    ["notify_url", "not a url"],
    ["sign", "0".repeat(31)],
    ["sign", "0".repeat(33)],
    ["sign", "g".repeat(32)],
    ["sign", " " + "0".repeat(31)],
  ];
  for (const [field, value] of cases) {
    test(`${field} = ${JSON.stringify(value)}`, async () => {
      const ans = await op.push(withField(field, value));
      expect(ans.status).toBe(200);
      expect(ans.text).toBe(pushFailure(`参数格式错误: ${field}`));
    });
  }

  test("notify_url of 513 characters is malformed; 512 is accepted", async () => {
    const base = receiver.url("/p/");
    const u512 = base + "a".repeat(512 - base.length);
    const u513 = base + "a".repeat(513 - base.length);
    expect(u512.length).toBe(512);
    expect((await op.push(valid({ notify_url: u513 }))).text).toBe(pushFailure("参数格式错误: notify_url"));
    expect((await op.push(valid({ notify_url: u512 }))).text).toBe(PUSH_SUCCESS);
  });

  for (const field of ["uid", "order_no", "order_type", "mobile_type", "phone_number", "face_value", "notify_url", "sign"] as Field[]) {
    test(`form field ${field} given twice (same value) → 参数格式错误: ${field}`, async () => {
      const f = valid();
      const entries = Object.entries(f) as [string, string][];
      entries.push([field, f[field]]);
      expect((await op.push(entries)).text).toBe(pushFailure(`参数格式错误: ${field}`));
    });
  }
});

describe("§2 boundaries that are well-formed", () => {
  test("uid of 32 allowed characters is well-formed (→ operator lookup: 运营商不存在或已停用)", async () => {
    const f = withField("uid", "Ab_-" + "9".repeat(28));
    expect((await op.push(f)).text).toBe(pushFailure("运营商不存在或已停用"));
  });
  test("order_no of 64 characters [0-9A-Za-z_-] and of 1 character are accepted", async () => {
    const long = ("Zz_-09" + orderNo("L")).padEnd(64, "x").slice(0, 64);
    expect((await op.push(valid({ order_no: long }))).text).toBe(PUSH_SUCCESS);
    const one = String.fromCharCode(65 + Math.floor(Math.random() * 26));
    expect((await op.push(valid({ order_no: one }))).text).toBe(PUSH_SUCCESS);
  });
  test("every order_type 1–4 × mobile_type 1–3 is accepted (strict carrier off)", async () => {
    const combos = ["1", "2", "3", "4"].flatMap((ot) => ["1", "2", "3"].map((mt) => [ot, mt]));
    const answers = await Promise.all(combos.map(([ot, mt]) => op.push(valid({ order_type: ot, mobile_type: mt }))));
    answers.forEach((a, i) => expect([combos[i], a.text]).toEqual([combos[i], PUSH_SUCCESS]));
  });
  test("phone segments 13x–19x are accepted", async () => {
    const answers = await Promise.all([..."3456789"].map((d) => op.push(valid({ phone_number: `1${d}912345678` }))));
    for (const a of answers) expect(a.text).toBe(PUSH_SUCCESS);
  });
  test("face values 100 and 100000 (and 150, 12345) are offered; 99 and 100001 → 不支持的面值", async () => {
    const ok = await Promise.all(["100", "100000", "150", "12345"].map((v) => op.push(valid({ face_value: v }))));
    for (const a of ok) expect(a.text).toBe(PUSH_SUCCESS);
    const no = await Promise.all(["99", "1", "100001"].map((v) => op.push(valid({ face_value: v }))));
    for (const a of no) expect(a.text).toBe(pushFailure("不支持的面值"));
  });
  for (const v of ["100001", "2147483647", "2147483648"]) {
    test(`a canonical face value within the Int range, ${v}, is well-formed → 不支持的面值`, async () => {
      expect((await op.push(valid({ face_value: v }))).text).toBe(pushFailure("不支持的面值"));
    });
  }
  test("an upper-case sign is accepted (case-insensitive comparison)", async () => {
    const f = valid();
    expect((await op.push({ ...f, sign: f.sign.toUpperCase() })).text).toBe(PUSH_SUCCESS);
  });
  test("form fields in any order", async () => {
    const f = valid();
    expect((await op.push((Object.entries(f) as [string, string][]).reverse())).text).toBe(PUSH_SUCCESS);
  });
  test("unknown extra fields are ignored", async () => {
    const f = valid();
    expect((await op.push({ ...f, extra: "1", Sign: "x", UID: "y" })).text).toBe(PUSH_SUCCESS);
  });
});

describe("§2 identifiers are exact strings", () => {
  test("uid is case-sensitive: an operator 'CaseOp' is not 'caseop'", async () => {
    const r = await stack.admin("POST", "/admin/operators", { name: "大小写", uid: "CaseOp", md5key: "c".repeat(32) });
    expect(r.status).toBe(201);
    const right = new Operator(stack.baseUrl, "CaseOp", "c".repeat(32));
    const wrong = new Operator(stack.baseUrl, "caseop", "c".repeat(32));
    expect((await right.push(right.order({ order_no: orderNo("C"), notify_url: receiver.url() }))).text).toBe(PUSH_SUCCESS);
    expect((await wrong.push(wrong.order({ order_no: orderNo("C"), notify_url: receiver.url() }))).text).toBe(pushFailure("运营商不存在或已停用"));
  });
  test("order_no is case-sensitive: 'abcX' and 'ABCX' are two orders", async () => {
    const base = orderNo("c").toLowerCase();
    const a = valid({ order_no: base, phone_number: "13912340021" });
    const b = valid({ order_no: base.toUpperCase(), phone_number: "13912340022" });
    expect((await op.push(a)).text).toBe(PUSH_SUCCESS);
    expect((await op.push(b)).text).toBe(PUSH_SUCCESS);
    const ia = await op.orderInfo(a.order_no);
    const ib = await op.orderInfo(b.order_no);
    expect(ia.id).not.toBe(ib.id);
    expect([ia.operatorSn, ib.operatorSn]).toEqual([a.order_no, b.order_no]);
  });
  test("(inferred from §2's list of wrong types) order_no as a JSON integer beyond 2^53 keeps its exact digits", async () => {
    const digits = "20160427210604000490" + String(Math.floor(Math.random() * 1000)).padStart(3, "0");
    const f = valid({ order_no: digits });
    const text = JSON.stringify({ ...f, order_no: "__RAW__" }).replace('"__RAW__"', digits);
    expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(PUSH_SUCCESS);
    expect((await op.orderInfo(digits)).operatorSn).toBe(digits);
  });
});

describe("§2 notify_url forms", () => {
  test("port out of range → 参数格式错误: notify_url", async () => {
    expect((await op.push(valid({ notify_url: "http://127.0.0.1:99999/cb" }))).text).toBe(pushFailure("参数格式错误: notify_url"));
  });
  for (const url of ["http://[::ffff:127.0.0.2]/cb", "http://0x7f000002/cb", "http://017700000002/cb", "http://127.0.0.02/cb"]) {
    test(`${url}: another spelling of a refused loopback address → 回调地址无效`, async () => {
      expect((await op.push(valid({ notify_url: url }))).text).toBe(pushFailure("回调地址无效"));
    });
  }
});

describe("§2 JSON bodies", () => {
  test("Int fields as JSON integers", async () => {
    const f = valid();
    const ans = await op.pushJson({ ...f, order_type: 1, mobile_type: 1, face_value: 1000 });
    expect(ans.text).toBe(PUSH_SUCCESS);
  });
  test("Int fields as JSON strings", async () => {
    expect((await op.pushJson(valid())).text).toBe(PUSH_SUCCESS);
  });
  test("JSON 100 and form 100 sign the same: a JSON push repeated as a form push is the same order", async () => {
    const f = valid({ face_value: "100" });
    expect((await op.pushJson({ ...f, order_type: 1, mobile_type: 1, face_value: 100 })).text).toBe(PUSH_SUCCESS);
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    const info = await op.orderInfo(f.order_no);
    expect(info.amount).toBe(100);
  });
  test("fields in any key order", async () => {
    const f = valid();
    const reversed = Object.fromEntries(Object.entries(f).reverse());
    expect((await op.pushJson(reversed)).text).toBe(PUSH_SUCCESS);
  });
  test("\\u escapes in JSON strings are decoded before validation and signing", async () => {
    const no = orderNo("U");
    const f = valid({ order_no: no });
    const text = JSON.stringify(f).replace(`"order_no":"${no}"`, `"order_no":"\\u0055${no.slice(1)}"`);
    expect(no[0]).toBe("U");
    expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(PUSH_SUCCESS);
    expect((await op.orderInfo(no)).operatorSn).toBe(no);
  });
  test("(inferred from §2's list of wrong types) a String field given as a JSON integer is accepted", async () => {
    const f = valid({ phone_number: "13912345678" });
    const ans = await op.pushJson({ ...f, phone_number: 13912345678 });
    expect(ans.text).toBe(PUSH_SUCCESS);
    expect((await op.orderInfo(f.order_no)).rechargePhoneNumber).toBe("13912345678");
  });

  const intBad: [string, string][] = [
    ["face_value", "1e3"],
    ["face_value", "1000.0"],
    ["face_value", "-5"],
    ["face_value", "10.5"],
    ["face_value", "true"],
    ["face_value", "{}"],
    ["face_value", "[1000]"],
    ["face_value", '"0100"'],
    ["face_value", '"1e2"'],
    ["face_value", "0"],
    ["order_type", "1.0"],
    ["order_type", "true"],
    ["order_type", "[1]"],
    ["mobile_type", "1E0"],
    ["mobile_type", "false"],
  ];
  for (const [field, raw] of intBad) {
    test(`JSON ${field}: ${raw} → 参数格式错误: ${field}`, async () => {
      const f = valid();
      const obj: Record<string, unknown> = { ...f };
      obj[field] = "__RAW__";
      const text = JSON.stringify(obj).replace('"__RAW__"', raw);
      expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(pushFailure(`参数格式错误: ${field}`));
    });
  }

  const strBad: [Field, unknown][] = [
    ["uid", {}],
    ["uid", [1]],
    ["uid", true],
    ["order_no", { a: 1 }],
    ["order_no", false],
    ["phone_number", ["13912345678"]],
    ["phone_number", 1391234567.5],
    ["notify_url", true],
    ["notify_url", { url: "http://127.0.0.1/" }],
    ["sign", ["x"]],
    ["sign", true],
  ];
  for (const [field, value] of strBad) {
    test(`JSON ${field}: ${JSON.stringify(value)} (wrong type) → 参数格式错误: ${field}`, async () => {
      const f: Record<string, unknown> = { ...valid(), [field]: value };
      expect((await op.pushJson(f)).text).toBe(pushFailure(`参数格式错误: ${field}`));
    });
  }
});

describe("§5 query endpoints: field rules and messages", () => {
  test("balance: missing / empty uid or sign", async () => {
    const s = sign.balance(op.uid, op.key);
    expect((await op.postForm(PATHS.balance, { sign: s })).text).toBe(queryFailure("缺少参数: uid"));
    expect((await op.postForm(PATHS.balance, { uid: op.uid })).text).toBe(queryFailure("缺少参数: sign"));
    expect((await op.postForm(PATHS.balance, { uid: "", sign: s })).text).toBe(queryFailure("缺少参数: uid"));
    expect((await op.postJson(PATHS.balance, { uid: op.uid, sign: null })).text).toBe(queryFailure("缺少参数: sign"));
  });
  test("balance: malformed uid / sign", async () => {
    expect((await op.postForm(PATHS.balance, { uid: "a!", sign: "0".repeat(32) })).text).toBe(queryFailure("参数格式错误: uid"));
    expect((await op.postForm(PATHS.balance, { uid: op.uid, sign: "xyz" })).text).toBe(queryFailure("参数格式错误: sign"));
    expect((await op.postForm(PATHS.balance, [["uid", op.uid], ["uid", op.uid], ["sign", sign.balance(op.uid, op.key)]])).text).toBe(
      queryFailure("参数格式错误: uid"),
    );
  });
  test("balance: unknown uid, wrong sign, upper-case sign", async () => {
    expect((await op.postForm(PATHS.balance, { uid: "nobody_here", sign: sign.balance("nobody_here", op.key) })).text).toBe(
      queryFailure("运营商不存在或已停用"),
    );
    expect((await op.balance("0".repeat(32))).text).toBe(queryFailure("签名错误"));
    const up = await op.balance(sign.balance(op.uid, op.key).toUpperCase());
    expect(JSON.parse(up.text).code).toBe("200");
  });
  test("order query: missing / malformed order_no", async () => {
    expect((await op.postForm(PATHS.query, { uid: op.uid, sign: sign.query(op.uid, "", op.key) })).text).toBe(queryFailure("缺少参数: order_no"));
    expect((await op.postForm(PATHS.query, { uid: op.uid, order_no: "a.b", sign: sign.query(op.uid, "a.b", op.key) })).text).toBe(
      queryFailure("参数格式错误: order_no"),
    );
    const long = "a".repeat(65);
    expect((await op.postForm(PATHS.query, { uid: op.uid, order_no: long, sign: sign.query(op.uid, long, op.key) })).text).toBe(
      queryFailure("参数格式错误: order_no"),
    );
    expect((await op.postForm(PATHS.query, { uid: op.uid, order_no: "A1" })).text).toBe(queryFailure("缺少参数: sign"));
  });
  test("order query: wrong sign on an unknown order → 签名错误; right sign → 订单不存在", async () => {
    expect((await op.query("NO_SUCH_ORDER", "0".repeat(32))).text).toBe(queryFailure("签名错误"));
    expect((await op.query("NO_SUCH_ORDER")).text).toBe(queryFailure("订单不存在"));
  });
  test("order query via JSON and form give byte-identical answers; upper-case sign accepted", async () => {
    const f = valid();
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    // compare once the status is final, so that nothing moves between the calls
    for (const end = Date.now() + 15_000; Date.now() < end; ) {
      const info = await op.orderInfo(f.order_no);
      if ([4, 9, 10].includes(info.statusId)) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const x = await op.query(f.order_no);
    const y = await op.queryJson(f.order_no);
    const z = await op.query(f.order_no, sign.query(op.uid, f.order_no, op.key).toUpperCase());
    expect(JSON.parse(x.text).code).toBe("200");
    expect(y.text).toBe(x.text);
    expect(z.text).toBe(x.text);
  });
  test("balance via JSON and form give byte-identical answers", async () => {
    const a = await op.balance();
    const b = await op.balanceJson();
    expect(b.text).toBe(a.text);
  });
  test("JSON query with uid as JSON integer (digits-only uid)", async () => {
    if (!/^\d+$/.test(op.uid)) return;
    const ans = await op.postJson(PATHS.balance, `{"uid":${op.uid},"sign":"${sign.balance(op.uid, op.key)}"}`);
    expect(JSON.parse(ans.text).code).toBe("200");
  });
});

describe("form encoding details", () => {
  test("percent-encoded field names and values are decoded; '+' decodes to space (→ malformed order_no)", async () => {
    const f = valid();
    const body = formBody(f).replace("order_type=1", "%6Frder_type=%31");
    expect((await op.post(PATHS.order, body, FORM)).text).toBe(PUSH_SUCCESS);
    const g = valid();
    const body2 = formBody(g).replace(`order_no=${g.order_no}`, `order_no=${g.order_no.slice(0, 3)}+${g.order_no.slice(3)}`);
    expect((await op.post(PATHS.order, body2, FORM)).text).toBe(pushFailure("参数格式错误: order_no"));
  });
});
