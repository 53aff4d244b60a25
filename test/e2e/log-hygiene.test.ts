import winston from "winston";
import { redact } from "@topup/config";
import { orderPushSuccess } from "@topup/protocol";
import { answerOk } from "../support/callback-receiver";
import { FakeSupplier, supplierCallback } from "../support/fake-supplier";
import { Capture, capturingLogger } from "../support/log-capture";
import type { OperatorClient } from "../support/operator-client";
import { eventually, startStack, ADMIN_TOKEN, type Stack } from "../support/stack";
import { startWorker } from "../../apps/worker/src";

// Secrets (md5 keys, signs, the admin token) never reach a log line; phone numbers are masked.
// Every line about an order names the request its work came from, the operator's uid and order_no.
const ingressLines = new Capture();
const workerLines = new Capture();
const allLines = () => [...ingressLines.lines, ...workerLines.lines];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    logger: capturingLogger(ingressLines),
    workerLogger: capturingLogger(workerLines),
    config: { callbackBackoffMs: 20 },
    worker: { upstream: { firstQueryMs: 50, timeoutMs: 400 }, channelsMaxAgeMs: 50 },
  });
});
afterAll(() => stack.close());

it("keeps keys, signs, the token and phone numbers out of every log line through a whole lifecycle", async () => {
  const op = await stack.createOperator({ name: "日志" });
  const rotated = await stack.admin("POST", `/admin/operators/${op.uid}/rotate-key`);
  const key = rotated.body.md5key as string;
  const client = new (op.constructor as any)(stack.baseUrl, op.uid, key);
  const phones = ["13912345678", "13912340010", "13912340009"];
  const signs: string[] = [];
  stack.receiver.respond = (_cb, res) => {
    res.statusCode = 500; // failing callbacks log their attempts too
    res.end("no");
  };
  for (const [i, phone] of phones.entries()) {
    const fields = client.push({ order_no: `LOG${Date.now()}${i}`, phone_number: phone, notify_url: stack.receiver.url });
    signs.push(fields.sign);
    await client.pushOrder(fields);
  }
  await client.pushOrder({ ...client.push({ order_no: "LOGBAD", phone_number: "13700001111", notify_url: stack.receiver.url }), sign: "f".repeat(32) });
  await eventually(async () => (stack.receiver.received.length >= phones.length * 3 ? true : undefined), 20_000);
  await new Promise((r) => setTimeout(r, 200));

  const text = allLines().join("\n");
  expect(allLines().length).toBeGreaterThan(5); // the platform did log: the check below is not vacuous
  for (const secret of [op.key, key, ADMIN_TOKEN, ...signs, ...phones, "13700001111"]) {
    expect(text).not.toContain(secret);
  }
});

it("masks numbers and redacts secrets in any field a caller passes to the logger", () => {
  const lines = new Capture();
  const logger = winston.createLogger({ format: winston.format.combine(redact(), winston.format.json()), transports: [lines] });
  logger.warn("callback to 13912345678 failed", { order: { phoneNumber: "13912345678", md5key: "abc" }, token: "t0k" });
  expect(lines.lines[0]).toContain("139****5678");
  expect(lines.lines[0]).not.toMatch(/13912345678|"abc"|t0k/);
});

describe("request ids", () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  type Line = Record<string, unknown>;
  const parse = (capture: Capture): Line[] => capture.lines.map((line) => JSON.parse(line) as Line);
  let op: OperatorClient;
  let seq = 0;

  beforeAll(async () => {
    op = await stack.createOperator({ name: "请求号" });
  });
  beforeEach(() => {
    stack.receiver.respond = answerOk;
  });

  /** Pushes an order (with `headers`) and waits for its callback; the answer, the order's id and its worker lines. */
  async function pushThrough(headers: Record<string, string>, phone = "13912345678") {
    const orderNo = `RID${Date.now()}${++seq}`;
    const answer = await op.postForm("/1/api/oper/order", op.push({ order_no: orderNo, phone_number: phone, notify_url: stack.receiver.url }) as unknown as Record<string, string>, headers);
    expect(answer.text).toBe(orderPushSuccess()); // the contract's answer, byte for byte, header or not
    await stack.receiver.waitFor(orderNo);
    const listed = await stack.admin("GET", `/admin/orders?uid=${op.uid}&orderNo=${orderNo}`);
    const orderId = listed.body.items[0].id as string;
    // The callback's own line is written once its attempt is stored, just after the operator got it.
    const lines = await eventually(async () => {
      const about = parse(workerLines).filter((line) => line.orderId === orderId);
      return about.some((line) => line.message === "callback attempt") ? about : undefined;
    });
    return { orderNo, orderId, requestId: answer.headers.get("x-request-id"), lines };
  }

  it("echoes the caller's id and carries it on every worker line about the order, with uid, orderNo and status", async () => {
    const { orderNo, requestId, lines } = await pushThrough({ "X-Request-Id": "op-4f2a.push_0001" });
    expect(requestId).toBe("op-4f2a.push_0001");
    // 5 → 6 → 0 → 2 → 4, a job each (SIMULATOR_STEP_MS > 0), then the callback's job: follow-on jobs carried the id.
    expect(lines.filter((line) => line.message === "order moved").length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).toMatchObject({ requestId: "op-4f2a.push_0001", uid: op.uid, orderNo, status: expect.any(Number) });
    expect(lines.find((line) => line.message === "callback attempt")).toMatchObject({ status: 4, outcome: "acked" });
  });

  it("generates an id when none is sent", async () => {
    const { requestId, lines } = await pushThrough({});
    expect(requestId).toMatch(UUID);
    for (const line of lines) expect(line.requestId).toBe(requestId);
  });

  it.each([
    ["too long", "r".repeat(65)],
    ["control characters", 'abc\t"},{"level":"error'],
    ["spaces", "a b"],
    ["the reconciler's mark", "reconciler:1"],
  ])("replaces a malformed id (%s) with a generated one, which never reaches a log line as sent", async (_what, given) => {
    const { requestId, lines } = await pushThrough({ "X-Request-Id": given });
    expect(requestId).toMatch(UUID);
    for (const line of lines) expect(line.requestId).toBe(requestId);
    expect(allLines().join("\n")).not.toContain(given);
  });

  it("carries an admin call's id into the callback it resends", async () => {
    const { orderId, orderNo } = await pushThrough({ "X-Request-Id": "first-push" });
    const res = await fetch(`${stack.adminUrl}/admin/orders/${orderId}/resend-callback`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "X-Request-Id": "admin-resend-7" },
    });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-request-id")).toBe("admin-resend-7");
    await stack.receiver.waitFor(orderNo, 2);
    const resent = await eventually(async () =>
      parse(workerLines).find((line) => line.message === "callback attempt" && line.orderId === orderId && line.round === 2),
    );
    expect(resent).toMatchObject({ requestId: "admin-resend-7", uid: op.uid, orderNo, status: 4 });
  });

  it("marks work the reconciler rebuilt with its cycle, on the cycle's line and every line about the order", async () => {
    const idle = await startStack({ worker: false, config: { callbackBackoffMs: 20 } });
    try {
      const client = await idle.createOperator();
      const orderNo = `RIDLOST${Date.now()}`;
      await client.postForm("/1/api/oper/order", client.push({ order_no: orderNo, notify_url: idle.receiver.url }) as unknown as Record<string, string>, { "X-Request-Id": "lost-with-redis" });
      const queue = idle.ingress.platform.queues.fulfilment;
      await eventually(async () => ((await queue.getJobCounts("wait")).wait === 1 ? true : undefined));
      await queue.obliterate({ force: true }); // Redis lost the order's job, and with it the request id
      const lines = new Capture();
      const worker = await startWorker(idle.config, capturingLogger(lines), { poolMax: 2, reconcileEveryMs: 0, reconcileGraceMs: 0 });
      try {
        expect((await worker.reconcileNow()).fulfilment).toBe(1);
        await idle.receiver.waitFor(orderNo);
        const all = await eventually(async () => {
          const parsed = parse(lines);
          return parsed.some((line) => line.orderNo === orderNo && line.message === "callback attempt") ? parsed : undefined;
        });
        const cycle = all.find((line) => line.message === "reconciled")?.requestId;
        expect(cycle).toMatch(/^reconciler:[0-9a-f-]{36}$/);
        const about = all.filter((line) => line.orderNo === orderNo);
        expect(about.length).toBeGreaterThanOrEqual(5);
        for (const line of about) expect(line).toMatchObject({ requestId: cycle, uid: client.uid });
      } finally {
        await worker.close();
      }
    } finally {
      await idle.close();
    }
  });

  it("carries the push's id across a failover, and a supplier callback's id into the callback it leads to", async () => {
    const [refusing, taking] = [await new FakeSupplier("8101", "a".repeat(32)).start(), await new FakeSupplier("8102", "b".repeat(32)).start()];
    try {
      refusing.onPush = (_fields, supplier) => supplier.refuse("余额不足");
      taking.onQuery = () => "hang"; // the order waits at 0 until the supplier calls back
      for (const [code, supplier] of [["rid-a", refusing], ["rid-b", taking]] as const) {
        expect((await stack.admin("POST", "/admin/channels", { code, kind: "upstream", config: { baseUrl: supplier.url, uid: supplier.uid, md5key: supplier.key } })).status).toBe(201);
      }
      expect((await stack.admin("POST", "/admin/routes", { channels: ["rid-a", "rid-b"], faceValues: [5000] })).status).toBe(201);
      await new Promise((r) => setTimeout(r, 100)); // the worker's channels (channelsMaxAgeMs) include the route
      const orderNo = `RIDFO${Date.now()}`;
      const fields = op.push({ order_no: orderNo, face_value: "5000", notify_url: stack.receiver.url }) as unknown as Record<string, string>;
      await op.postForm("/1/api/oper/order", fields, { "X-Request-Id": "failover-push-1" });
      const { id: orderId, serialNumber } = await eventually(async () => {
        const order = (await stack.admin("GET", `/admin/orders?uid=${op.uid}&orderNo=${orderNo}`)).body.items[0];
        return order?.status === 0 && order.channel === "rid-b" ? order : undefined;
      });
      const notify = await fetch(`${stack.baseUrl}/1/api/channel/rid-b/notify`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "X-Request-Id": "notify-9" },
        body: new URLSearchParams(supplierCallback({ uid: taking.uid, key: taking.key, serial: serialNumber, phone: "13812345678", faceValue: 5000, status: 4 })).toString(),
      });
      expect(await notify.text()).toBe("ok");
      expect(notify.headers.get("x-request-id")).toBe("notify-9");
      await stack.receiver.waitFor(orderNo);
      const acked = await eventually(async () => parse(workerLines).find((line) => line.orderId === orderId && line.message === "callback attempt"));
      expect(acked).toMatchObject({ requestId: "notify-9", uid: op.uid, orderNo, status: 4 });
      // Placing with rid-a, then rid-b, and asking rid-b again in later jobs (its queries hang): the push's id throughout.
      const fulfilling = parse(workerLines).filter((line) => line.orderId === orderId && line.message !== "callback attempt");
      expect(fulfilling.filter((line) => line.message === "order moved").map((line) => line.status)).toContain(0);
      for (const line of fulfilling) expect(line).toMatchObject({ requestId: "failover-push-1", uid: op.uid, orderNo });
      // The callback was applied by the ingress, which moved the order to 4.
      expect(parse(ingressLines).find((line) => line.orderId === orderId && line.message === "order moved")).toMatchObject({ requestId: "notify-9", uid: op.uid, orderNo, status: 4 });
    } finally {
      await Promise.all([refusing.close(), taking.close()]);
    }
  });

  it("keeps the full phone number and the md5 key out of every line of both services", async () => {
    await pushThrough({ "X-Request-Id": "hygiene-1" }, "13712345670");
    const text = allLines().join("\n");
    expect(text).toContain("hygiene-1"); // the lines of this order are there
    for (const secret of ["13712345670", op.key, ADMIN_TOKEN]) expect(text).not.toContain(secret);
  });
});
