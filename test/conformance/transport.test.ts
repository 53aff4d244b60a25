/** §1 transport rules and the failure envelopes of §4 for transport-level answers. */
import { startStack, type Stack } from "../support/stack";
import {
  CONTENT_TYPE_JSON,
  FORM,
  JSON_TYPE,
  Operator,
  PATHS,
  PUSH_SUCCESS,
  decodeQuerySuccess,
  formBody,
  orderNo,
  pushFailure,
  queryFailure,
  send,
  sign,
  type Fields,
} from "./client";
import { Receiver } from "./receiver";

let stack: Stack;
let op: Operator;
let receiver: Receiver;

beforeAll(async () => {
  stack = await startStack();
  receiver = await new Receiver().start();
  const c = await stack.createOperator({ name: "传输测试" });
  op = new Operator(stack.baseUrl, c.uid, c.key);
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

const ENDPOINTS = [
  { path: PATHS.order, kind: "push" as const },
  { path: PATHS.balance, kind: "query" as const },
  { path: PATHS.query, kind: "query" as const },
];

function expectFailureShape(text: string, kind: "push" | "query"): string {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  if (kind === "push") {
    expect(Object.keys(parsed)).toEqual(["code", "count", "msg"]);
  } else {
    expect(Object.keys(parsed)).toEqual(["code", "count", "msg", "sign", "data"]);
    expect(parsed.sign).toBe("");
    expect(parsed.data).toBe("");
  }
  expect(parsed.code).toBe("400");
  expect(parsed.count).toBe("0");
  expect(typeof parsed.msg).toBe("string");
  expect((parsed.msg as string).length).toBeGreaterThan(0);
  expect(JSON.stringify(parsed)).toBe(text); // compact, no \u escapes
  return parsed.msg as string;
}

function failure(kind: "push" | "query", msg: string): string {
  return kind === "push" ? pushFailure(msg) : queryFailure(msg);
}

describe("§1 methods: anything but POST → HTTP 405 with the endpoint's failure envelope", () => {
  for (const { path, kind } of ENDPOINTS) {
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      test(`${method} ${path}`, async () => {
        const ans = await send(stack.baseUrl + path, { method });
        expect(ans.status).toBe(405);
        expect(ans.contentType).toBe(CONTENT_TYPE_JSON);
        expectFailureShape(ans.text, kind);
      });
    }
    test(`TRACE ${path} → 405`, async () => {
      const ans = await send(stack.baseUrl + path, { method: "TRACE" });
      expect(ans.status).toBe(405);
      expectFailureShape(ans.text, kind);
    });
    test(`(RFC 9110 §15.5.6) 405 on ${path} carries Allow: POST`, async () => {
      const ans = await send(stack.baseUrl + path, { method: "GET" });
      expect(ans.headers.allow).toBe("POST");
    });
    test(`HEAD ${path} → 405`, async () => {
      const ans = await send(stack.baseUrl + path, { method: "HEAD" });
      expect(ans.status).toBe(405);
      // RFC 9110 §9.3.2: the headers a GET would get (the failure envelope's type and length), no body.
      const get = await send(stack.baseUrl + path, { method: "GET" });
      expect(ans.text).toBe("");
      expect([ans.headers["content-type"], ans.headers["content-length"]]).toEqual([CONTENT_TYPE_JSON, String(Buffer.byteLength(get.text))]);
    });
  }

  test("a correctly signed push sent with PUT is refused (405) and not stored", async () => {
    const no = orderNo("PUT");
    const body = formBody(op.order({ order_no: no, notify_url: receiver.url() }));
    const ans = await send(stack.baseUrl + PATHS.order, { method: "PUT", headers: { "content-type": FORM }, body });
    expect(ans.status).toBe(405);
    expectFailureShape(ans.text, "push");
    const q = await op.query(no);
    expect(q.text).toBe(queryFailure("订单不存在"));
  });
});

describe("§1 unknown paths → HTTP 404 接口不存在", () => {
  for (const [method, path] of [
    ["POST", "/1/api/oper/unknown"],
    ["POST", "/"],
    ["GET", "/nope"],
    ["POST", "/1/api/oper"],
    ["POST", "/1/api/oper/order/extra"],
    ["POST", "/2/api/oper/order"],
  ]) {
    test(`${method} ${path}`, async () => {
      const ans = await send(stack.baseUrl + path, { method, headers: { "content-type": FORM }, body: method === "POST" ? "a=b" : undefined });
      expect(ans.status).toBe(404);
      expect(ans.contentType).toBe(CONTENT_TYPE_JSON);
      expect(ans.text).toBe(pushFailure("接口不存在"));
    });
  }

  for (const path of ["/1/api/oper/ORDER", "/1/API/oper/order", "/1/api/oper/order/"]) {
    test(`(strict reading: the paths are exact; URL paths are case-sensitive) POST ${path} → 404`, async () => {
      const no = orderNo("CASE");
      const ans = await op.postForm(path, op.order({ order_no: no, notify_url: receiver.url() }));
      expect({ status: ans.status, text: ans.text }).toEqual({ status: 404, text: pushFailure("接口不存在") });
    });
  }
});

describe("§1 routing ignores the query string", () => {
  test("POST /1/api/oper/order?x=1 with a valid body → Success", async () => {
    const f = op.order({ order_no: orderNo("QS"), notify_url: receiver.url() });
    expect((await op.postForm(PATHS.order + "?x=1", f)).text).toBe(PUSH_SUCCESS);
  });
});

describe("§1 body size: > 16 KiB → HTTP 413 请求体过大", () => {
  const big = (n: number) => "a=" + "x".repeat(n - 2);

  for (const { path, kind } of ENDPOINTS) {
    test(`16385-byte form body on ${path}`, async () => {
      const ans = await op.post(path, big(16385), FORM);
      expect(ans.status).toBe(413);
      expect(ans.contentType).toBe(CONTENT_TYPE_JSON);
      expect(ans.text).toBe(failure(kind, "请求体过大"));
    });
  }

  test("16385-byte JSON body", async () => {
    const body = JSON.stringify({ pad: "x".repeat(16385 - 10) });
    expect(Buffer.byteLength(body)).toBe(16385);
    const ans = await op.post(PATHS.order, body, JSON_TYPE);
    expect(ans.status).toBe(413);
    expect(ans.text).toBe(pushFailure("请求体过大"));
  });

  test("chunked body (no Content-Length) over 16 KiB", async () => {
    const ans = await send(stack.baseUrl + PATHS.balance, { headers: { "content-type": FORM }, body: big(40_000), chunked: true });
    expect(ans.status).toBe(413);
    expect(ans.text).toBe(queryFailure("请求体过大"));
  });

  test("a valid push padded to exactly 16384 bytes is accepted; one byte more is 413 and not stored", async () => {
    const no1 = orderNo("SZ");
    const base = formBody(op.order({ order_no: no1, notify_url: receiver.url() })) + "&pad=";
    const exact = base + "y".repeat(16384 - Buffer.byteLength(base));
    expect(Buffer.byteLength(exact)).toBe(16384);
    const ok = await op.post(PATHS.order, exact, FORM);
    expect(ok.status).toBe(200);
    expect(ok.text).toBe(PUSH_SUCCESS);

    const no2 = orderNo("SZ");
    const base2 = formBody(op.order({ order_no: no2, notify_url: receiver.url() })) + "&pad=";
    const over = base2 + "y".repeat(16385 - Buffer.byteLength(base2));
    const tooBig = await op.post(PATHS.order, over, FORM);
    expect(tooBig.status).toBe(413);
    expect(tooBig.text).toBe(pushFailure("请求体过大"));
    expect((await op.query(no2)).text).toBe(queryFailure("订单不存在"));
  });
});

describe("§1 content types and body formats", () => {
  const validPush = () => op.order({ order_no: orderNo("CT"), notify_url: receiver.url() });

  for (const ct of [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "application/x-www-form-urlencoded;charset=utf-8",
  ]) {
    test(`accepted: ${ct}`, async () => {
      const ans = await op.post(PATHS.order, formBody(validPush()), ct);
      expect(ans.status).toBe(200);
      expect(ans.contentType).toBe(CONTENT_TYPE_JSON);
      expect(ans.text).toBe(PUSH_SUCCESS);
    });
  }

  for (const ct of ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"]) {
    test(`accepted: ${ct}`, async () => {
      const ans = await op.post(PATHS.order, JSON.stringify(validPush()), ct);
      expect(ans.status).toBe(200);
      expect(ans.text).toBe(PUSH_SUCCESS);
    });
  }

  for (const ct of ["text/plain", "multipart/form-data; boundary=xyz", "application/xml", undefined]) {
    for (const { path, kind } of ENDPOINTS) {
      test(`refused: ${ct ?? "(no content type)"} on ${path} → 不支持的请求格式, HTTP 200`, async () => {
        const fields: Fields =
          path === PATHS.order
            ? validPush()
            : path === PATHS.balance
              ? { uid: op.uid, sign: sign.balance(op.uid, op.key) }
              : { uid: op.uid, order_no: "X1", sign: sign.query(op.uid, "X1", op.key) };
        const ans = await op.post(path, formBody(fields), ct);
        expect(ans.status).toBe(200);
        expect(ans.contentType).toBe(CONTENT_TYPE_JSON);
        expect(ans.text).toBe(failure(kind, "不支持的请求格式"));
      });
    }
  }

  for (const [label, body] of [
    ["truncated JSON", '{"uid":'],
    ["JSON array", "[]"],
    ["JSON string", '"uid"'],
    ["JSON number", "1"],
    ["JSON null", "null"],
    ["empty body", ""],
    ["JSON with trailing garbage", '{"uid":"1"} x'],
  ]) {
    test(`${label} with application/json → 不支持的请求格式`, async () => {
      const ans = await op.post(PATHS.order, body, JSON_TYPE);
      expect(ans.status).toBe(200);
      expect(ans.text).toBe(pushFailure("不支持的请求格式"));
      const b = await op.post(PATHS.balance, body, JSON_TYPE);
      expect(b.text).toBe(queryFailure("不支持的请求格式"));
    });
  }

  const bad: [string, number[]][] = [
    ["0xFF", [0xff]],
    ["overlong '/' (C0 AF)", [0xc0, 0xaf]],
    ["UTF-8-encoded surrogate (ED A0 80)", [0xed, 0xa0, 0x80]],
    ["truncated sequence (E4 BA)", [0xe4, 0xba]],
  ];
  for (const [label, bytes] of bad) {
    test(`form body with non-UTF-8 bytes ${label} in an ignored field → 不支持的请求格式`, async () => {
      const good = formBody(validPush());
      const body = Buffer.concat([Buffer.from(good + "&note=", "utf8"), Buffer.from(bytes)]);
      const ans = await op.post(PATHS.order, body, FORM);
      expect(ans.status).toBe(200);
      expect(ans.text).toBe(pushFailure("不支持的请求格式"));
    });
    test(`JSON body with non-UTF-8 bytes ${label} in an ignored field → 不支持的请求格式`, async () => {
      const good = JSON.stringify(validPush());
      const body = Buffer.concat([Buffer.from(good.slice(0, -1) + ',"note":"', "utf8"), Buffer.from(bytes), Buffer.from('"}')]);
      const ans = await op.post(PATHS.order, body, JSON_TYPE);
      expect(ans.status).toBe(200);
      expect(ans.text).toBe(pushFailure("不支持的请求格式"));
    });
  }

  test("valid non-ASCII UTF-8 in an ignored field is accepted (form and JSON)", async () => {
    const f = validPush();
    const a = await op.post(PATHS.order, formBody({ ...f, note: "备注 ✓" }), FORM);
    expect(a.text).toBe(PUSH_SUCCESS);
    const j = await op.post(PATHS.order, JSON.stringify({ ...validPush(), note: "备注 ✓", nested: { x: [1, 2] } }), JSON_TYPE);
    expect(j.text).toBe(PUSH_SUCCESS);
  });

  test("a small chunked body (no Content-Length) is read normally", async () => {
    const ans = await send(stack.baseUrl + PATHS.order, { headers: { "content-type": FORM }, body: formBody(validPush()), chunked: true });
    expect(ans.text).toBe(PUSH_SUCCESS);
  });

  test("pretty-printed JSON (whitespace between tokens) is valid JSON", async () => {
    expect((await op.post(PATHS.order, JSON.stringify(validPush(), null, 2), JSON_TYPE)).text).toBe(PUSH_SUCCESS);
  });

  test("JSON with escaped solidus in notify_url is decoded", async () => {
    const f = validPush();
    const text = JSON.stringify(f).replace(/\//g, "\\/");
    expect(text).toContain("http:\\/\\/");
    expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(PUSH_SUCCESS);
  });

  for (const lit of ["0100", "+100", ".5", "1.", "01", "0x10", "NaN", "Infinity"]) {
    test(`JSON number literal ${lit} is not valid JSON → 不支持的请求格式`, async () => {
      const text = JSON.stringify({ ...validPush(), face_value: "__RAW__" }).replace('"__RAW__"', lit);
      expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(pushFailure("不支持的请求格式"));
    });
  }
  test("JSON -0 is valid JSON but a non-canonical Int → 参数格式错误: face_value", async () => {
    const text = JSON.stringify({ ...validPush(), face_value: "__RAW__" }).replace('"__RAW__"', "-0");
    expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(pushFailure("参数格式错误: face_value"));
  });

  test("a JSON __proto__ / constructor member does not supply fields", async () => {
    const { uid, ...rest } = validPush();
    const text = JSON.stringify(rest).slice(0, -1) + `,"__proto__":{"uid":"${uid}"},"constructor":{"uid":"${uid}"}}`;
    expect((await op.post(PATHS.order, text, JSON_TYPE)).text).toBe(pushFailure("缺少参数: uid"));
  });

  test("a JSON body in UTF-16 → 不支持的请求格式", async () => {
    const body = Buffer.from(JSON.stringify(validPush()), "utf16le");
    expect((await op.post(PATHS.order, body, "application/json; charset=utf-16")).text).toBe(pushFailure("不支持的请求格式"));
  });

  test("(strict reading: fields come from the body) fields in the query string are not used", async () => {
    const ans = await send(`${stack.baseUrl}${PATHS.balance}?uid=${op.uid}&sign=${sign.balance(op.uid, op.key)}`, { headers: { "content-type": FORM }, body: "" });
    expect(ans.text).toBe(queryFailure("缺少参数: uid"));
  });

  test("(strict reading of 'Charset UTF-8') a form body declared charset=iso-8859-1 → 不支持的请求格式", async () => {
    const ans = await op.post(PATHS.order, formBody(validPush()), "application/x-www-form-urlencoded; charset=iso-8859-1");
    expect(ans.text).toBe(pushFailure("不支持的请求格式"));
  });
});

describe("§1 responses are application/json; charset=utf-8 and business outcomes are HTTP 200", () => {
  test("push success, push failure, balance success, query failure", async () => {
    const s = await op.push(op.order({ order_no: orderNo("R"), notify_url: receiver.url() }));
    expect([s.status, s.contentType, s.text]).toEqual([200, CONTENT_TYPE_JSON, PUSH_SUCCESS]);
    const f = await op.push(op.order({ order_no: orderNo("R"), notify_url: receiver.url(), sign: "0".repeat(32) }));
    expect([f.status, f.contentType, f.text]).toEqual([200, CONTENT_TYPE_JSON, pushFailure("签名错误")]);
    // Content-Length counts UTF-8 bytes, not characters (the message is Chinese).
    expect(f.headers["content-length"]).toBe(String(Buffer.byteLength(f.text)));
    const b = await op.balance();
    expect(() => decodeQuerySuccess(b, op.key)).not.toThrow();
    const q = await op.query("NOPE");
    expect([q.status, q.contentType, q.text]).toEqual([200, CONTENT_TYPE_JSON, queryFailure("订单不存在")]);
  });
});

describe("§1/§5 rate limiting", () => {
  test("off unless configured: 40 concurrent balance queries all succeed", async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, () => op.balance()));
    for (const a of answers) expect(() => decodeQuerySuccess(a, op.key)).not.toThrow();
  });

  test("configured (admin rateLimitPerSecond): excess → HTTP 429 请求过于频繁 in the failure envelope", async () => {
    const c = await stack.createOperator({ name: "限流", rateLimitPerSecond: 2 });
    const limited = new Operator(stack.baseUrl, c.uid, c.key);
    const answers = await Promise.all(Array.from({ length: 8 }, () => limited.balance()));
    const limitedAnswers = answers.filter((a) => a.status === 429);
    expect(limitedAnswers.length).toBeGreaterThan(0);
    for (const a of limitedAnswers) {
      expect(a.contentType).toBe(CONTENT_TYPE_JSON);
      expect(a.text).toBe(queryFailure("请求过于频繁"));
    }
    const pushes = await Promise.all(
      Array.from({ length: 8 }, () => limited.push(limited.order({ order_no: orderNo("RL"), notify_url: receiver.url() }))),
    );
    for (const a of pushes.filter((x) => x.status === 429)) expect(a.text).toBe(pushFailure("请求过于频繁"));
  });
});
