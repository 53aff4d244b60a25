/** §11 the admin API's create-operator call, as scripts drive it. */
import { ADMIN_TOKEN, startStack, type Stack } from "../support/stack";
import { Operator, PUSH_SUCCESS, decodeQuerySuccess, orderNo, pushFailure, send } from "./client";

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});

afterAll(async () => {
  await stack?.close();
});

async function adminRaw(method: string, path: string, headers: Record<string, string>, body?: string) {
  const ans = await send(stack.adminUrl + path, { method, headers, body });
  return ans;
}

describe("§11 POST /admin/operators", () => {
  test("201 with a generated uid (7–10 digits) and md5key (32 lowercase hex); the operator works at once", async () => {
    const r = await stack.admin("POST", "/admin/operators", { name: "脚本运营商" });
    expect(r.status).toBe(201);
    expect(r.body.uid).toMatch(/^[0-9]{7,10}$/);
    expect(r.body.md5key).toMatch(/^[0-9a-f]{32}$/);
    expect(r.body.name).toBe("脚本运营商");
    const op = new Operator(stack.baseUrl, r.body.uid, r.body.md5key);
    const f = op.order({ order_no: orderNo("A"), notify_url: "http://127.0.0.1:9/cb", phone_number: "13912345678", mobile_type: "3" });
    // enabled by default, strictCarrier off by default (139 with mobile_type 3 accepted)
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    const b = decodeQuerySuccess(await op.balance(), op.key);
    expect((b.inner.data as { operatorName: string }).operatorName).toBe("脚本运营商");
  });

  test("generated uids and keys differ between operators", async () => {
    const rs = await Promise.all(Array.from({ length: 6 }, (_, i) => stack.admin("POST", "/admin/operators", { name: `批量${i}` })));
    for (const r of rs) expect(r.status).toBe(201);
    expect(new Set(rs.map((r) => r.body.uid)).size).toBe(6);
    expect(new Set(rs.map((r) => r.body.md5key)).size).toBe(6);
    for (const r of rs) {
      expect(r.body.uid).toMatch(/^[0-9]{7,10}$/);
      expect(r.body.md5key).toMatch(/^[0-9a-f]{32}$/);
    }
  });

  test("given uid and md5key are used as given", async () => {
    const uid = `op_${Date.now().toString(36)}`;
    const md5key = "0123456789abcdef0123456789abcdef";
    const r = await stack.admin("POST", "/admin/operators", { name: "指定", uid, md5key, rateBp: 9900, ipWhitelist: ["127.0.0.1", "10.0.0.0/8"], enabled: true, strictCarrier: false });
    expect(r.status).toBe(201);
    expect(r.body.uid).toBe(uid);
    expect(r.body.md5key).toBe(md5key);
    const op = new Operator(stack.baseUrl, uid, md5key);
    expect(JSON.parse((await op.balance()).text).code).toBe("200");
  });

  test("the §3 demo operator can be created with the document's uid and key", async () => {
    const r = await stack.admin("POST", "/admin/operators", { name: "运营商", uid: "3928857", md5key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0" });
    expect(r.status).toBe(201);
    const op = new Operator(stack.baseUrl, "3928857", "9f8e7d6c5b4a39281706f5e4d3c2b1a0");
    const ans = await op.postForm("/1/api/oper/balance", { uid: "3928857", sign: "b81a8a1ffea6c14baf393c436267af18" });
    expect(JSON.parse(ans.text).code).toBe("200");
    const f = op.order({ order_no: "020160427210604000490", phone_number: "13999999999", face_value: "1000", notify_url: "http://127.0.0.1:9/cb" });
    expect(f.sign).toBe("80fcb730498a656ec0bcba86da87b4dc");
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    const q = await op.postForm("/1/api/oper/query_order", { uid: "3928857", order_no: "020160427210604000490", sign: "620013c234e770e7a43c38fb6c685e27" });
    expect(JSON.parse(q.text).code).toBe("200");
  });

  test("409 for a uid that exists (the first operator is unchanged)", async () => {
    const uid = `dup_${Date.now().toString(36)}`;
    const a = await stack.admin("POST", "/admin/operators", { name: "原", uid, md5key: "a".repeat(32) });
    expect(a.status).toBe(201);
    const b = await stack.admin("POST", "/admin/operators", { name: "重复", uid, md5key: "b".repeat(32) });
    expect(b.status).toBe(409);
    const op = new Operator(stack.baseUrl, uid, "a".repeat(32));
    expect(JSON.parse((await op.balance()).text).code).toBe("200");
  });

  test("a generated uid never collides with an existing digit uid given earlier", async () => {
    const r = await stack.admin("POST", "/admin/operators", { name: "数字uid", uid: "1234567" });
    expect(r.status).toBe(201);
    const again = await stack.admin("POST", "/admin/operators", { name: "数字uid2", uid: "1234567" });
    expect(again.status).toBe(409);
  });

  const invalid: [string, unknown][] = [
    ["no name", {}],
    ["empty name", { name: "" }],
    ["name not a string", { name: 5 }],
    ["uid with a space", { name: "x", uid: "bad uid" }],
    ["uid with !", { name: "x", uid: "bad!" }],
    ["uid of 33 characters", { name: "x", uid: "a".repeat(33) }],
    ["empty uid", { name: "x", uid: "" }],
    ["rateBp negative", { name: "x", rateBp: -1 }],
    ["rateBp fractional", { name: "x", rateBp: 99.5 }],
    ["rateBp not a number", { name: "x", rateBp: "abc" }],
    ["ipWhitelist entry not an IP/CIDR", { name: "x", ipWhitelist: ["not-an-ip"] }],
    ["ipWhitelist CIDR prefix out of range", { name: "x", ipWhitelist: ["10.0.0.0/33"] }],
    ["ipWhitelist not a list", { name: "x", ipWhitelist: 5 }],
    ["enabled not a boolean", { name: "x", enabled: "yes" }],
    ["strictCarrier not a boolean", { name: "x", strictCarrier: 1 }],
    ["md5key empty", { name: "x", md5key: "" }],
    ["JSON array body", [{ name: "x" }]],
  ];
  for (const [label, body] of invalid) {
    test(`400: ${label}`, async () => {
      const r = await stack.admin("POST", "/admin/operators", body);
      expect(r.status).toBe(400);
    });
  }

  test("400: body that is not JSON", async () => {
    const r = await adminRaw("POST", "/admin/operators", { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, "{name:");
    expect(r.status).toBe(400);
  });

  test("a rejected (400) create stores nothing: the uid is still free", async () => {
    const uid = `free_${Date.now().toString(36)}`;
    expect((await stack.admin("POST", "/admin/operators", { name: "x", uid, rateBp: -5 })).status).toBe(400);
    expect((await stack.admin("POST", "/admin/operators", { name: "x", uid })).status).toBe(201);
  });
});

describe("§11 admin authentication: missing or wrong bearer → 401", () => {
  const body = JSON.stringify({ name: "未授权", uid: "unauth_1" });
  const cases: [string, Record<string, string>][] = [
    ["no Authorization header", {}],
    ["wrong token", { authorization: "Bearer wrong-token" }],
    ["token with a different case", { authorization: `Bearer ${ADMIN_TOKEN.toUpperCase()}` }],
    ["token prefix only", { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` }],
    ["token with a suffix", { authorization: `Bearer ${ADMIN_TOKEN}x` }],
    ["Basic scheme", { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}` }],
    ["bare token without scheme", { authorization: ADMIN_TOKEN }],
    ["empty bearer", { authorization: "Bearer " }],
  ];
  for (const [label, headers] of cases) {
    test(`POST /admin/operators, ${label} → 401, nothing created`, async () => {
      const r = await adminRaw("POST", "/admin/operators", { ...headers, "content-type": "application/json" }, body);
      expect(r.status).toBe(401);
    });
    test(`GET /admin/operators, ${label} → 401`, async () => {
      const r = await adminRaw("GET", "/admin/operators", headers);
      expect(r.status).toBe(401);
    });
  }
  test("after the refused calls the uid is still free", async () => {
    const r = await stack.admin("POST", "/admin/operators", { name: "授权后", uid: "unauth_1" });
    expect(r.status).toBe(201);
    const op = new Operator(stack.baseUrl, "unauth_1", r.body.md5key);
    expect((await op.push(op.order({ order_no: orderNo("Z"), notify_url: "http://127.0.0.2/cb" }))).text).toBe(pushFailure("回调地址无效"));
  });
});
