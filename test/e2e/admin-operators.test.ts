import { Client } from "pg";
import { callbackSign, responseDataSign } from "@topup/protocol";
import { OperatorClient } from "../support/operator-client";
import { Capture, capturingLogger } from "../support/log-capture";
import { startIngress } from "../../apps/ingress/src";
import { ADMIN_TOKEN, eventually, startStack, testLogger, type Stack } from "../support/stack";

// Issue 19, operators: explicit disable/enable and key rotation with a grace period, audited without secrets.
let stack: Stack;
const capture = new Capture();

beforeAll(async () => {
  stack = await startStack({ logger: capturingLogger(capture) });
});
afterAll(() => stack.close());

async function sql(text: string, values: unknown[] = []): Promise<any[]> {
  const client = new Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** The admin API as a named administrator (X-Admin-Actor). */
async function adminAs(actor: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.adminUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-admin-actor": actor, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

let seq = 0;
const orderNo = (prefix: string) => `${prefix}${Date.now()}${seq++}`;

describe("disable and enable", () => {
  it("refuses the operator's requests while disabled, accepts them again once enabled, and audits each with its reason", async () => {
    const op = await stack.createOperator({ name: "停用" });
    expect((await op.queryBalance()).json.code).toBe("200");

    const disabled = await adminAs("carol", "POST", `/admin/operators/${op.uid}/disable`, { reason: "欠费" });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ uid: op.uid, enabled: false });
    expect(disabled.body.md5key).toBeUndefined();
    await eventually(async () => ((await op.queryBalance()).json.msg === "运营商不存在或已停用" ? true : undefined), 2_500, 100);
    const push = await op.pushOrder(op.push({ order_no: orderNo("D"), notify_url: stack.receiver.url }));
    expect(push.json).toMatchObject({ code: "400", msg: "运营商不存在或已停用" });

    const enabled = await stack.admin("POST", `/admin/operators/${op.uid}/enable`);
    expect(enabled.status).toBe(200);
    expect(enabled.body.enabled).toBe(true);
    await eventually(async () => ((await op.queryBalance()).json.code === "200" ? true : undefined), 2_500, 100);

    const audit = await sql("SELECT actor, action, before, after FROM audit_log WHERE target_id = $1 AND action LIKE 'operator.%able' ORDER BY id", [op.uid]);
    expect(audit).toEqual([
      { actor: "admin:carol", action: "operator.disable", before: { enabled: true }, after: { enabled: false, reason: "欠费" } },
      { actor: "admin", action: "operator.enable", before: { enabled: false }, after: { enabled: true, reason: null } },
    ]);
  });

  it.each([
    [{ reason: 5 }, /reason/],
    [{ reason: "a\u0000b" }, /reason/],
    [{ colour: "red" }, /unknown field colour/],
    [[], /body must be a JSON object/],
  ])("answers 400 for %j", async (body, error) => {
    const op = await stack.createOperator();
    const res = await stack.admin("POST", `/admin/operators/${op.uid}/disable`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(error);
    expect((await stack.admin("GET", `/admin/operators/${op.uid}`)).body.enabled).toBe(true);
  });

  it("answers 404 for an unknown operator", async () => {
    for (const path of ["disable", "enable"]) {
      const res = await stack.admin("POST", `/admin/operators/nobody/${path}`);
      expect(res.status).toBe(404);
      expect(res.body.error).toBe("operator nobody not found");
    }
  });
});

describe("key rotation with a grace period", () => {
  it("keeps the old key for pushes and queries within the grace and refuses it after; callbacks use the new key at once", async () => {
    const old = await stack.createOperator({ name: "宽限" });
    const before = orderNo("G");
    expect((await old.pushOrder(old.push({ order_no: before, notify_url: stack.receiver.url }))).json.code).toBe("200");

    const rotated = await adminAs("alice", "POST", `/admin/operators/${old.uid}/rotate-key`, { graceSeconds: 600 });
    expect(rotated.status).toBe(200);
    const newKey: string = rotated.body.md5key;
    expect(newKey).toMatch(/^[0-9a-f]{32}$/);
    expect(newKey).not.toBe(old.key);
    expect(JSON.stringify(rotated.body)).not.toContain(old.key);
    const until = Date.parse(rotated.body.previousKeyUntil);
    expect(until).toBeGreaterThan(Date.now() + 590_000);
    expect(until).toBeLessThan(Date.now() + 610_000);
    const fresh = new OperatorClient(stack.baseUrl, old.uid, newKey);

    // Within the grace: both keys verify; an answer is signed with the key its request was signed with.
    const during = orderNo("G");
    expect((await old.pushOrder(old.push({ order_no: during, notify_url: stack.receiver.url }))).json.code).toBe("200");
    const query = await old.queryOrder(before);
    expect(query.json.code).toBe("200");
    expect(query.json.sign).toBe(responseDataSign(query.json.data as string, old.key));
    const balance = await old.queryBalance();
    expect(balance.json.code).toBe("200");
    expect(balance.json.sign).toBe(responseDataSign(balance.json.data as string, old.key));
    const freshQuery = await fresh.queryOrder(during);
    expect(freshQuery.json.code).toBe("200");
    expect(freshQuery.json.sign).toBe(responseDataSign(freshQuery.json.data as string, newKey));

    // The order pushed with the old key is called back signed with the new one.
    const [callback] = await stack.receiver.waitFor(during, 1, 20_000);
    const f = callback.fields;
    const fields = { uid: f.uid, orderNo: f.order_no, phoneNumber: f.phone_number, faceValue: Number(f.face_value), status: Number(f.status) };
    expect(f.sign).toBe(callbackSign(fields, newKey));
    expect(f.sign).not.toBe(callbackSign(fields, old.key));

    // The grace ends (moved in the database): every process refuses the old key within its cache's TTL.
    await sql("UPDATE operators SET previous_key_until = now() - interval '1 second' WHERE uid = $1", [old.uid]);
    await eventually(async () => ((await old.queryBalance()).json.msg === "签名错误" ? true : undefined), 2_500, 100);
    expect((await old.pushOrder(old.push({ order_no: orderNo("G"), notify_url: stack.receiver.url }))).json.msg).toBe("签名错误");
    expect((await old.queryOrder(before)).json.msg).toBe("签名错误");
    expect((await fresh.queryBalance()).json.code).toBe("200");
    expect((await fresh.pushOrder(fresh.push({ order_no: orderNo("G"), notify_url: stack.receiver.url }))).json.code).toBe("200");
    expect((await stack.admin("GET", `/admin/operators/${old.uid}`)).body.previousKeyUntil).toBeNull();

    // Neither key is in the audit log, in any admin answer but the rotation's own (the new one), or in the logs.
    const audit = await sql("SELECT actor, action, before, after FROM audit_log WHERE target_id = $1 ORDER BY id", [old.uid]);
    const rotation = audit.find((row) => row.action === "operator.rotate-key");
    expect(rotation).toMatchObject({ actor: "admin:alice", before: { md5key: "[previous]" }, after: { md5key: "[rotated]", graceSeconds: 600 } });
    expect(JSON.stringify(audit)).not.toContain(old.key);
    expect(JSON.stringify(audit)).not.toContain(newKey);
    const shown = JSON.stringify([(await stack.admin("GET", `/admin/operators/${old.uid}`)).body, (await stack.admin("GET", "/admin/operators")).body]);
    expect(shown).not.toContain(old.key);
    expect(shown).not.toContain(newKey);
    expect(capture.lines.join("\n")).not.toContain(old.key);
  }, 40_000);

  it("without a grace the old key stops at once, and a given key is taken", async () => {
    const op = await stack.createOperator();
    const key = "ABCDEFabcdef0123456789";
    const rotated = await stack.admin("POST", `/admin/operators/${op.uid}/rotate-key`, { md5key: key, graceSeconds: 0 });
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ md5key: key, previousKeyUntil: null });
    await eventually(async () => ((await op.queryBalance()).json.msg === "签名错误" ? true : undefined), 2_500, 100);
    expect((await new OperatorClient(stack.baseUrl, op.uid, key).queryBalance()).json.code).toBe("200");
    const [row] = await sql("SELECT previous_md5_key, previous_key_until FROM operators WHERE uid = $1", [op.uid]);
    expect(row).toEqual({ previous_md5_key: null, previous_key_until: null });
  });

  it.each([
    [{ graceSeconds: -1 }, /graceSeconds/],
    [{ graceSeconds: 1.5 }, /graceSeconds/],
    [{ graceSeconds: "60" }, /graceSeconds/],
    [{ graceSeconds: 604_801 }, /graceSeconds/],
    [{ md5key: "short" }, /md5key/],
    [{ grace: 60 }, /unknown field grace/],
  ])("answers 400 for %j and keeps the key", async (body, error) => {
    const op = await stack.createOperator();
    const res = await stack.admin("POST", `/admin/operators/${op.uid}/rotate-key`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(error);
    expect((await op.queryBalance()).json.code).toBe("200");
  });

  it("answers 404 for an unknown operator", async () => {
    const res = await stack.admin("POST", "/admin/operators/nobody/rotate-key", { graceSeconds: 60 });
    expect(res.status).toBe(404);
  });
});

it("a rotation and the end of its grace reach another ingress process within its cache's TTL", async () => {
  // A second ingress over the same database, with its own operator cache (filled before the rotation).
  const second = await startIngress({ ...stack.config, port: 0, adminPort: 0 }, testLogger(), { poolMax: 2 });
  try {
    const op = await stack.createOperator();
    const oldThere = new OperatorClient(`http://127.0.0.1:${second.operatorPort}`, op.uid, op.key);
    expect((await oldThere.queryBalance()).json.code).toBe("200");
    const rotated = await stack.admin("POST", `/admin/operators/${op.uid}/rotate-key`, { graceSeconds: 300 });
    const newThere = new OperatorClient(oldThere.baseUrl, op.uid, rotated.body.md5key);
    await eventually(async () => ((await newThere.queryBalance()).json.code === "200" ? true : undefined), 2_500, 100);
    expect((await oldThere.queryBalance()).json.code).toBe("200");
    await sql("UPDATE operators SET previous_key_until = now() - interval '1 second' WHERE uid = $1", [op.uid]);
    await eventually(async () => ((await oldThere.queryBalance()).json.msg === "签名错误" ? true : undefined), 2_500, 100);
    expect((await newThere.queryBalance()).json.code).toBe("200");
  } finally {
    await second.close();
  }
});
