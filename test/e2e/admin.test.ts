import { Client } from "pg";
import { startIngress, type Ingress } from "../../apps/ingress/src";
import { OperatorClient } from "../support/operator-client";
import { ADMIN_TOKEN, eventually, startStack, testLogger, type Stack } from "../support/stack";

// PROTOCOL §11 admin API, plus operator management: list, get, update, rotate key, audit.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(() => stack.close());

async function auditRows(targetId: string): Promise<any[]> {
  const client = new Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  try {
    return (await client.query("SELECT * FROM audit_log WHERE target_id = $1 ORDER BY id", [targetId])).rows;
  } finally {
    await client.end();
  }
}

describe("authentication", () => {
  it.each([
    ["GET", "/admin/operators"],
    ["POST", "/admin/operators"],
    ["GET", "/admin/operators/1"],
    ["PATCH", "/admin/operators/1"],
    ["POST", "/admin/operators/1/rotate-key"],
    ["GET", "/admin/orders/1"],
  ])("refuses %s %s without the right bearer token", async (method, path) => {
    expect((await stack.admin(method, path, undefined, "wrong")).status).toBe(401);
    const none = await fetch(`${stack.adminUrl}${path}`, { method });
    expect(none.status).toBe(401);
  });

  it("listens on ADMIN_HOST only", async () => {
    await expect(fetch(`http://127.0.0.2:${stack.ingress.adminPort}/healthz`)).rejects.toThrow();
    expect((await fetch(`${stack.adminUrl}/healthz`)).status).toBe(200);
  });
});

describe("POST /admin/operators", () => {
  it("generates a 7-10 digit uid and a 32 hex md5key, with the documented defaults", async () => {
    const res = await stack.admin("POST", "/admin/operators", { name: "运营商甲" });
    expect(res.status).toBe(201);
    expect(res.body.uid).toMatch(/^[1-9]\d{6,9}$/);
    expect(res.body.md5key).toMatch(/^[0-9a-f]{32}$/);
    expect(res.body).toMatchObject({ name: "运营商甲", rateBp: 10000, ipWhitelist: [], enabled: true, strictCarrier: false });
    const other = await stack.admin("POST", "/admin/operators", { name: "运营商乙" });
    expect(other.body.md5key).not.toBe(res.body.md5key);
  });

  it("keeps a given uid and key, and answers 409 when the uid exists", async () => {
    const body = { name: "指定", uid: "3928857", md5key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0", rateBp: 9900, ipWhitelist: ["127.0.0.1", "::1/128"], strictCarrier: true };
    const res = await stack.admin("POST", "/admin/operators", body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject(body);
    expect((await stack.admin("POST", "/admin/operators", body)).status).toBe(409);
  });

  it.each([
    [{}, /name/],
    [{ name: "" }, /name/],
    [{ name: "x", rateBp: 10001 }, /rateBp/],
    [{ name: "x", rateBp: 99.5 }, /rateBp/],
    [{ name: "x", ipWhitelist: ["10.0.0.0/33"] }, /ipWhitelist/],
    [{ name: "x", ipWhitelist: "127.0.0.1" }, /ipWhitelist/],
    [{ name: "x", uid: "bad uid" }, /uid/],
    [{ name: "x", md5key: "short" }, /md5key/],
    [{ name: "x", enabled: "yes" }, /enabled/],
    [{ name: "x", colour: "red" }, /unknown field colour/],
  ])("answers 400 for %j", async (body, error) => {
    const res = await stack.admin("POST", "/admin/operators", body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(error);
  });

  it("answers 400 for a body that is not JSON", async () => {
    const res = await fetch(`${stack.adminUrl}/admin/operators`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: "{name",
    });
    expect(res.status).toBe(400);
  });
});

describe("managing operators", () => {
  it("lists and gets operators without their md5 keys", async () => {
    const created = await stack.admin("POST", "/admin/operators", { name: "列表" });
    const list = await stack.admin("GET", "/admin/operators");
    expect(list.status).toBe(200);
    const mine = list.body.find((o: any) => o.uid === created.body.uid);
    expect(mine).toBeDefined();
    expect(mine.md5key).toBeUndefined();
    const one = await stack.admin("GET", `/admin/operators/${created.body.uid}`);
    expect(one.body).toMatchObject({ uid: created.body.uid, name: "列表" });
    expect(one.body.md5key).toBeUndefined();
    expect((await stack.admin("GET", "/admin/operators/nobody")).status).toBe(404);
  });

  it("updates an operator, audits before and after, and the change reaches every ingress process within 2 s", async () => {
    // A second ingress process over the same database, with its own operator cache.
    const second: Ingress = await startIngress({ ...stack.config, port: 0, adminPort: 0 }, testLogger(), { poolMax: 2 });
    try {
      const op = await stack.createOperator({ name: "缓存" });
      const viaSecond = new OperatorClient(`http://127.0.0.1:${second.operatorPort}`, op.uid, op.key);
      const push = () => viaSecond.pushOrder(viaSecond.push({ order_no: `C${Date.now()}${Math.random().toString(36).slice(2, 8)}`, notify_url: stack.receiver.url }));
      expect((await push()).json.code).toBe("200"); // now cached in the second process

      const patched = await stack.admin("PATCH", `/admin/operators/${op.uid}`, { enabled: false, rateBp: 9500 });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ enabled: false, rateBp: 9500 });
      const started = Date.now();
      await eventually(async () => ((await push()).json.msg === "运营商不存在或已停用" ? true : undefined), 2_500, 100);
      expect(Date.now() - started).toBeLessThan(2_500);

      const audit = await auditRows(op.uid);
      const update = audit.find((row) => row.action === "operator.update");
      expect(update.actor).toBe("admin");
      expect(update.before).toMatchObject({ enabled: true, rateBp: 10000 });
      expect(update.after).toMatchObject({ enabled: false, rateBp: 9500 });
    } finally {
      await second.close();
    }
  });

  it("rotates the key: the old sign stops working, the new one works, the audit never holds the key", async () => {
    const op = await stack.createOperator({ name: "轮换" });
    const rotated = await stack.admin("POST", `/admin/operators/${op.uid}/rotate-key`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.md5key).toMatch(/^[0-9a-f]{32}$/);
    expect(rotated.body.md5key).not.toBe(op.key);
    const fresh = new OperatorClient(stack.baseUrl, op.uid, rotated.body.md5key);
    await eventually(async () => ((await op.queryBalance()).json.msg === "签名错误" ? true : undefined), 2_500, 100);
    expect((await fresh.queryBalance()).json.code).toBe("200");
    const audit = await auditRows(op.uid);
    expect(JSON.stringify(audit)).not.toContain(rotated.body.md5key);
    expect(JSON.stringify(audit)).not.toContain(op.key);
    expect(audit.map((row) => row.action)).toEqual(["operator.create", "operator.rotate-key"]);
  });

  it("posts manual ledger adjustments and refuses unclear ones", async () => {
    const op = await stack.createOperator();
    expect((await stack.admin("POST", `/admin/operators/${op.uid}/adjustments`, { income: 100, expenditure: 100, record: "x" })).status).toBe(400);
    expect((await stack.admin("POST", `/admin/operators/${op.uid}/adjustments`, { income: 1.5, record: "x" })).status).toBe(400);
    expect((await stack.admin("POST", `/admin/operators/${op.uid}/adjustments`, { income: 100 })).status).toBe(400);
    const ok = await stack.admin("POST", `/admin/operators/${op.uid}/adjustments`, { income: 100, record: "充值" });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ kind: "manual", income: 100, expenditure: 0, balanceAfter: 100, record: "充值" });
  });
});
