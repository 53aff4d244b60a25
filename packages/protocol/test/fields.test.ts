import {
  orderPushSign,
  parseRequestBody,
  validateBalanceQuery,
  validateOrderPush,
  validateOrderQuery,
  type FieldValue,
  type OrderPushRequest,
} from "../src";
import { fields, form, json, num, V } from "./helpers";

const SIGN = "80fcb730498a656ec0bcba86da87b4dc";

/** A valid order push in the document's field order, as form strings. */
const PUSH: Record<string, string> = {
  uid: V.uid,
  order_no: V.orderNo,
  order_type: "1",
  mobile_type: "1",
  phone_number: V.phoneNumber,
  face_value: "1000",
  notify_url: "http://www.baidu.com",
  sign: SIGN,
};
const PUSH_FIELDS = Object.keys(PUSH);

const EXPECTED: OrderPushRequest = {
  uid: V.uid,
  orderNo: V.orderNo,
  orderType: 1,
  mobileType: 1,
  phoneNumber: V.phoneNumber,
  faceValue: 1000,
  notifyUrl: "http://www.baidu.com",
  sign: SIGN,
};

const push = (overrides: Record<string, FieldValue | string | undefined>) => {
  const entries: Record<string, FieldValue | string> = {};
  for (const [k, v] of Object.entries({ ...PUSH, ...overrides })) if (v !== undefined) entries[k] = v;
  return validateOrderPush(fields(entries));
};
const missing = (f: string) => ({ ok: false, msg: `缺少参数: ${f}` });
const malformed = (f: string) => ({ ok: false, msg: `参数格式错误: ${f}` });
const NULL: FieldValue = { kind: "null" };
const INVALID: FieldValue = { kind: "invalid" };
const DUP: FieldValue = { kind: "duplicate" };

describe("validateOrderPush: a valid push", () => {
  test("form strings", () => {
    expect(push({})).toEqual({ ok: true, value: EXPECTED });
  });

  test("a real form body, with unknown extra fields ignored", () => {
    const body = new URLSearchParams({ ...PUSH, extra: "x", timestamp: "123" }).toString();
    expect(validateOrderPush(form(body))).toEqual({ ok: true, value: EXPECTED });
  });

  test("a JSON body with Int fields as JSON integers and order_no as a string", () => {
    const body = JSON.stringify({ ...PUSH, order_type: 1, mobile_type: 1, face_value: 1000, extra: { a: [1] } });
    expect(validateOrderPush(json(body))).toEqual({ ok: true, value: EXPECTED });
  });

  test("JSON ints and form strings sign the same", () => {
    const fromForm = validateOrderPush(form(new URLSearchParams(PUSH).toString()));
    const fromJson = validateOrderPush(json(JSON.stringify({ ...PUSH, face_value: 1000, order_type: 1, mobile_type: 1 })));
    if (!fromForm.ok || !fromJson.ok) throw new Error("expected both to validate");
    expect(orderPushSign(fromJson.value, V.key)).toBe(orderPushSign(fromForm.value, V.key));
    expect(orderPushSign(fromJson.value, V.key)).toBe(SIGN);
  });

  test("JSON integers for String fields are taken as their exact digits", () => {
    const body = `{"uid":3928857,"order_no":20160427210604000490123,"order_type":"1","mobile_type":"1","phone_number":13999999999,"face_value":"1000","notify_url":"http://www.baidu.com","sign":"${SIGN}"}`;
    const r = validateOrderPush(json(body));
    expect(r).toEqual({ ok: true, value: { ...EXPECTED, orderNo: "20160427210604000490123" } });
  });

  test("order_no keeps its leading zeros byte for byte", () => {
    const r = validateOrderPush(form(new URLSearchParams({ ...PUSH, order_no: "000123" }).toString()));
    expect(r.ok && r.value.orderNo).toBe("000123");
  });

  test("sign keeps the case it was sent in (comparison is case-insensitive later)", () => {
    expect(push({ sign: SIGN.toUpperCase() })).toEqual({ ok: true, value: { ...EXPECTED, sign: SIGN.toUpperCase() } });
  });
});

describe("validateOrderPush: missing fields", () => {
  test.each(PUSH_FIELDS)("%s absent → 缺少参数", (f) => {
    expect(push({ [f]: undefined })).toEqual(missing(f));
  });
  test.each(PUSH_FIELDS)("%s empty string → 缺少参数", (f) => {
    expect(push({ [f]: "" })).toEqual(missing(f));
  });
  test.each(PUSH_FIELDS)("%s JSON null → 缺少参数", (f) => {
    expect(push({ [f]: NULL })).toEqual(missing(f));
  });

  test("the first missing field in document order is reported", () => {
    expect(validateOrderPush(fields({}))).toEqual(missing("uid"));
    expect(push({ sign: undefined, face_value: undefined, order_type: "" })).toEqual(missing("order_type"));
    expect(push({ notify_url: NULL, sign: "" })).toEqual(missing("notify_url"));
  });

  test("missing is reported before malformed, even when the malformed field comes first", () => {
    expect(push({ uid: "bad uid!", sign: undefined })).toEqual(missing("sign"));
    expect(push({ order_type: DUP, notify_url: "" })).toEqual(missing("notify_url"));
    expect(push({ face_value: INVALID, phone_number: NULL })).toEqual(missing("phone_number"));
  });

  test("a JSON body with null, empty and absent fields", () => {
    expect(validateOrderPush(json(`{"uid":null,"order_no":""}`))).toEqual(missing("uid"));
    expect(validateOrderPush(json(JSON.stringify({ ...PUSH, phone_number: null })))).toEqual(missing("phone_number"));
  });

  test("a whitespace-only value is present (and then malformed)", () => {
    expect(push({ uid: " " })).toEqual(malformed("uid"));
  });
});

describe("validateOrderPush: malformed fields", () => {
  test("the first malformed field in document order is reported", () => {
    expect(push({ sign: "x", uid: "a b", face_value: "0" })).toEqual(malformed("uid"));
    expect(push({ sign: "x", face_value: "0" })).toEqual(malformed("face_value"));
  });

  test.each(PUSH_FIELDS)("%s duplicated → 参数格式错误", (f) => {
    expect(push({ [f]: DUP })).toEqual(malformed(f));
  });
  test.each(PUSH_FIELDS)("%s of the wrong JSON type → 参数格式错误", (f) => {
    expect(push({ [f]: INVALID })).toEqual(malformed(f));
  });

  test("a form field given twice, in a real body", () => {
    const body = new URLSearchParams(PUSH).toString() + "&face_value=1000";
    expect(validateOrderPush(form(body))).toEqual(malformed("face_value"));
  });

  test("a duplicate JSON key, in a real body", () => {
    const body = JSON.stringify(PUSH).replace(/}$/, ',"uid":"3928857"}');
    expect(validateOrderPush(json(body))).toEqual(malformed("uid"));
  });

  test.each([
    ["object", '{"a":1}'],
    ["array", '["1"]'],
    ["true", "true"],
    ["false", "false"],
  ])("a JSON %s is a format error", (_name, literal) => {
    const body = JSON.stringify(PUSH).replace(`"order_type":"1"`, `"order_type":${literal}`);
    expect(validateOrderPush(json(body))).toEqual(malformed("order_type"));
  });

  describe("uid", () => {
    test.each(["a", "0", "A-z_09", "x".repeat(32)])("accepts %s", (uid) => {
      expect(push({ uid }).ok).toBe(true);
    });
    test.each(["x".repeat(33), "a b", "a.b", "用户", "a+b", "a/b", " 1", "1\n"])("refuses %j", (uid) => {
      expect(push({ uid })).toEqual(malformed("uid"));
    });
    test.each(["1.5", "-1", "1e2", "0.0"])("refuses the JSON number %s", (raw) => {
      expect(push({ uid: num(raw) })).toEqual(malformed("uid"));
    });
  });

  describe("order_no", () => {
    test.each(["0", "020160427210604000490", "A_b-9", "x".repeat(64)])("accepts %s", (orderNo) => {
      expect(push({ order_no: orderNo })).toMatchObject({ ok: true, value: { orderNo } });
    });
    test.each(["x".repeat(65), "a b", "单号", "a.b", "1#"])("refuses %j", (orderNo) => {
      expect(push({ order_no: orderNo })).toEqual(malformed("order_no"));
    });
    test.each(["1.0", "-1", "2e5"])("refuses the JSON number %s", (raw) => {
      expect(push({ order_no: num(raw) })).toEqual(malformed("order_no"));
    });
    test("accepts the JSON integer 0", () => {
      expect(push({ order_no: num("0") })).toMatchObject({ ok: true, value: { orderNo: "0" } });
    });
  });

  describe("order_type / mobile_type", () => {
    test.each(["1", "2", "3", "4"])("order_type %s", (t) => {
      expect(push({ order_type: t })).toMatchObject({ ok: true, value: { orderType: Number(t) } });
      expect(push({ order_type: num(t) })).toMatchObject({ ok: true, value: { orderType: Number(t) } });
    });
    test.each(["1", "2", "3"])("mobile_type %s", (t) => {
      expect(push({ mobile_type: t })).toMatchObject({ ok: true, value: { mobileType: Number(t) } });
      expect(push({ mobile_type: num(t) })).toMatchObject({ ok: true, value: { mobileType: Number(t) } });
    });
    test.each(["0", "5", "01", "1.0", "1e0", "+1", "-1", " 1", "1 ", "一", "10"])("order_type %j refused", (t) => {
      expect(push({ order_type: t })).toEqual(malformed("order_type"));
    });
    test.each(["0", "4", "01", "1.0", "1e0", "-1", "3 "])("mobile_type %j refused", (t) => {
      expect(push({ mobile_type: t })).toEqual(malformed("mobile_type"));
    });
    test.each(["0", "5", "1.0", "1e0", "-1", "10E-1"])("order_type JSON number %s refused", (raw) => {
      expect(push({ order_type: num(raw) })).toEqual(malformed("order_type"));
    });
  });

  describe("phone_number", () => {
    test.each(["13999999999", "13000000000", "19200000000", "17012345678", "14700000000"])("accepts %s", (p) => {
      expect(push({ phone_number: p }).ok).toBe(true);
    });
    test.each(["1399999999", "139999999999", "12999999999", "23999999999", "+8613999999999", "139 9999 9999", "1399999999a", "１３９９９９９９９９９"])(
      "refuses %j",
      (p) => {
        expect(push({ phone_number: p })).toEqual(malformed("phone_number"));
      },
    );
    test("accepts the JSON integer 13999999999 as its digits", () => {
      expect(push({ phone_number: num("13999999999") })).toMatchObject({ ok: true, value: { phoneNumber: "13999999999" } });
    });
  });

  describe("face_value", () => {
    test.each([
      ["1", 1],
      ["100", 100],
      ["1000", 1000],
      ["100000", 100000],
      ["999999999999999", 999999999999999],
    ])("accepts %s (catalogue checks come later)", (text, n) => {
      expect(push({ face_value: text })).toMatchObject({ ok: true, value: { faceValue: n } });
      expect(push({ face_value: num(text) })).toMatchObject({ ok: true, value: { faceValue: n } });
    });
    test.each(["0100", "1e2", "100.0", "-5", " 100", "100 ", "+100", "0", "00", "1,000", "１００", "0x64", "1000000000000000", "Infinity", "NaN", "10\n"])(
      "string %j → 参数格式错误",
      (text) => {
        expect(push({ face_value: text })).toEqual(malformed("face_value"));
      },
    );
    test.each(["1e2", "100.0", "-5", "0", "-0", "1E3", "1000000000000000", "12345678901234567890"])(
      "JSON number %s → 参数格式错误",
      (raw) => {
        expect(push({ face_value: num(raw) })).toEqual(malformed("face_value"));
      },
    );
    const withFaceValue = (literal: string) =>
      JSON.stringify({ ...PUSH, face_value: 0 }).replace('"face_value":0', `"face_value":${literal}`);
    test.each(["1e2", "100.0", "-5", "1000.00", "1.0e3"])("non-canonical %s in a real JSON body → 参数格式错误", (literal) => {
      expect(validateOrderPush(json(withFaceValue(literal)))).toEqual(malformed("face_value"));
    });
    test("0100 is not even JSON: the body is refused before validation", () => {
      expect(parseRequestBody("application/json", Buffer.from(withFaceValue("0100")))).toEqual({
        ok: false,
        msg: "不支持的请求格式",
      });
    });
  });

  describe("notify_url", () => {
    test.each([
      "http://www.baidu.com",
      "https://example.com/cb",
      "HTTP://EXAMPLE.COM/cb",
      "http://127.0.0.1:8080/notify?x=1&y=2#f", // destination checks are not a format matter
      "http://[::1]/cb",
      "https://例子.中国/回调",
      "http://a.example/" + "x".repeat(512 - "http://a.example/".length),
      "http://a.example/" + "你".repeat(512 - "http://a.example/".length),
    ])("accepts %s", (url) => {
      expect(push({ notify_url: url })).toMatchObject({ ok: true, value: { notifyUrl: url } });
    });
    test.each([
      "www.baidu.com",
      "/cb",
      "ftp://example.com/cb",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "http://",
      "http:example.com",
      "http:/example.com",
      "http:\\\\example.com",
      "http://user:pw@example.com/",
      "http://user@example.com/",
      "http://@example.com/",
      " http://example.com",
      "http://example.com/a b",
      "http://example.com/\t",
      "http://exa mple.com",
      "http://example.com:99999/",
      "http://a.example/" + "x".repeat(513 - "http://a.example/".length),
      "http://a.example/" + "😀".repeat(513 - "http://a.example/".length),
    ])("refuses %j", (url) => {
      expect(push({ notify_url: url })).toEqual(malformed("notify_url"));
    });
    test("refuses a JSON number", () => {
      expect(push({ notify_url: num("1") })).toEqual(malformed("notify_url"));
    });
  });

  describe("sign", () => {
    test.each([SIGN, SIGN.toUpperCase(), "0".repeat(32), "AbCdEf0123456789abcdef0123456789"])("accepts %s", (sign) => {
      expect(push({ sign }).ok).toBe(true);
    });
    test.each([SIGN.slice(1), SIGN + "0", "g".repeat(32), ` ${SIGN.slice(1)}`, "0x" + SIGN.slice(2)])("refuses %j", (sign) => {
      expect(push({ sign })).toEqual(malformed("sign"));
    });
    test("a 32-digit JSON integer is taken as its digits", () => {
      const digits = "12345678901234567890123456789012";
      expect(push({ sign: num(digits) })).toMatchObject({ ok: true, value: { sign: digits } });
    });
  });
});

describe("validateBalanceQuery", () => {
  test("valid, form and JSON", () => {
    const expected = { ok: true, value: { uid: V.uid, sign: "b81a8a1ffea6c14baf393c436267af18" } };
    expect(validateBalanceQuery(form(`uid=${V.uid}&sign=b81a8a1ffea6c14baf393c436267af18&x=1`))).toEqual(expected);
    expect(validateBalanceQuery(json(`{"uid":${V.uid},"sign":"b81a8a1ffea6c14baf393c436267af18"}`))).toEqual(expected);
  });
  test("missing before malformed, in field order", () => {
    expect(validateBalanceQuery(fields({}))).toEqual(missing("uid"));
    expect(validateBalanceQuery(fields({ uid: "a b" }))).toEqual(missing("sign"));
    expect(validateBalanceQuery(fields({ uid: NULL, sign: SIGN }))).toEqual(missing("uid"));
    expect(validateBalanceQuery(fields({ uid: "a b", sign: "x" }))).toEqual(malformed("uid"));
    expect(validateBalanceQuery(fields({ uid: "1", sign: "x" }))).toEqual(malformed("sign"));
    expect(validateBalanceQuery(fields({ uid: DUP, sign: SIGN }))).toEqual(malformed("uid"));
  });
  test("order-push fields are not required", () => {
    expect(validateBalanceQuery(fields({ uid: "1", sign: SIGN })).ok).toBe(true);
  });
});

describe("validateOrderQuery", () => {
  test("valid, with order_no kept byte for byte", () => {
    const expected = { ok: true, value: { uid: V.uid, orderNo: V.orderNo, sign: "620013c234e770e7a43c38fb6c685e27" } };
    expect(validateOrderQuery(form(`uid=${V.uid}&order_no=${V.orderNo}&sign=620013c234e770e7a43c38fb6c685e27`))).toEqual(expected);
    expect(validateOrderQuery(json(`{"uid":"${V.uid}","order_no":"${V.orderNo}","sign":"620013c234e770e7a43c38fb6c685e27"}`))).toEqual(expected);
  });
  test("missing before malformed, in field order", () => {
    expect(validateOrderQuery(fields({ uid: "1", sign: SIGN }))).toEqual(missing("order_no"));
    expect(validateOrderQuery(fields({ uid: "a b", order_no: "1" }))).toEqual(missing("sign"));
    expect(validateOrderQuery(fields({ uid: "1", order_no: "a.b", sign: "x" }))).toEqual(malformed("order_no"));
    expect(validateOrderQuery(fields({ uid: "1", order_no: num("1.5"), sign: SIGN }))).toEqual(malformed("order_no"));
    expect(validateOrderQuery(fields({ uid: "1", order_no: "1", sign: INVALID }))).toEqual(malformed("sign"));
  });
});
