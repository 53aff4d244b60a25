import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { callbackJobId, createWorkerConnection, QueueName } from "@topup/queue";
import { QueueEvents } from "bullmq";
import { eventually, startStack, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// PROTOCOL §7: acknowledgement rules, 3 attempts in all with exponential backoff, every attempt stored,
// redirects not followed, destinations re-checked at delivery.
const BACKOFF_MS = 100;
let stack: Stack;
let op: OperatorClient;

beforeAll(async () => {
  // The ingress accepts any loopback destination; the worker only 127.0.0.1 — so a destination that
  // passed at push can still be refused at delivery, where the dialled address is checked.
  stack = await startStack({ config: { callbackAllowedCidrs: "127.0.0.0/8", callbackBackoffMs: BACKOFF_MS }, workerConfig: { callbackAllowedCidrs: "127.0.0.1/32" } });
  op = await stack.createOperator();
});
afterAll(() => stack.close());

async function orderDetail(orderNo: string): Promise<any> {
  const inner = JSON.parse((await op.queryOrder(orderNo)).json.data as string);
  return (await stack.admin("GET", `/admin/orders/${inner.data.id}`)).body;
}

async function pushAndSettle(orderNo: string, notifyUrl = stack.receiver.url, state: "acked" | "failed" = "acked"): Promise<any> {
  const res = await op.pushOrder(op.push({ order_no: orderNo, notify_url: notifyUrl }));
  expect(res.json.code).toBe("200");
  return eventually(async () => {
    const detail = await orderDetail(orderNo);
    return detail.callbackState === state ? detail : undefined;
  }, 20_000);
}

function answerWith(status: number, body: string) {
  stack.receiver.respond = (_cb, res) => {
    res.statusCode = status;
    res.end(body);
  };
}

afterEach(() => {
  stack.receiver.respond = (_cb, res) => res.end("ok");
});

it.each(["ok", "OK", "  ok\n", "success", "Success"])("counts %j with HTTP 200 as acknowledged after one attempt", async (body) => {
  answerWith(200, body);
  const orderNo = `ACK${Date.now()}${body.trim()}`;
  const detail = await pushAndSettle(orderNo);
  expect(detail.callbackAttempts).toHaveLength(1);
  expect(detail.callbackAttempts[0]).toMatchObject({ round: 1, attemptNo: 1, httpStatus: 200, acknowledged: true, error: null, remoteAddress: "127.0.0.1" });
  expect(stack.receiver.for(orderNo)).toHaveLength(1);
});

it.each([
  ["a body of fail", 200, "fail"],
  ["HTTP 500", 500, "ok"],
  ["HTTP 201 with an empty body", 201, ""],
  ["a body that merely contains ok", 200, "not ok"],
])("makes 3 attempts in all for %s, spaced by the backoff, then marks the callback failed", async (_name, status, body) => {
  answerWith(status, body);
  const orderNo = `FAIL${Date.now()}${status}${body.length}`;
  const detail = await pushAndSettle(orderNo, stack.receiver.url, "failed");
  await new Promise((r) => setTimeout(r, BACKOFF_MS * 5)); // no fourth attempt comes later
  const received = stack.receiver.for(orderNo);
  expect(received).toHaveLength(3);
  expect(received[1].at - received[0].at).toBeGreaterThanOrEqual(BACKOFF_MS - 5);
  expect(received[2].at - received[1].at).toBeGreaterThanOrEqual(2 * BACKOFF_MS - 5);
  expect(detail.callbackAttempts.map((a: any) => a.attemptNo)).toEqual([1, 2, 3]);
  for (const attempt of detail.callbackAttempts) {
    expect(attempt).toMatchObject({ round: 1, httpStatus: status, bodyExcerpt: body, acknowledged: false, status: 4 });
    expect(typeof attempt.latencyMs).toBe("number");
    expect(Date.parse(attempt.startedAt)).not.toBeNaN();
  }
  expect((await orderDetail(orderNo)).callbackAttempts).toHaveLength(3);
});

it("records an answer holding a byte PostgreSQL cannot store (NUL) and still ends after 3 attempts", async () => {
  // A failed record would leave the attempt uncounted: the round would be tried again and again.
  answerWith(200, "ok\u0000garbage");
  const orderNo = `NUL${Date.now()}`;
  const detail = await pushAndSettle(orderNo, stack.receiver.url, "failed");
  await new Promise((r) => setTimeout(r, BACKOFF_MS * 5));
  expect(stack.receiver.for(orderNo)).toHaveLength(3);
  expect(detail.callbackAttempts.map((a: any) => [a.attemptNo, a.bodyExcerpt])).toEqual([
    [1, "ok\ufffdgarbage"],
    [2, "ok\ufffdgarbage"],
    [3, "ok\ufffdgarbage"],
  ]);
});

it("acknowledges on the second attempt when the first fails", async () => {
  let calls = 0;
  stack.receiver.respond = (_cb, res) => {
    calls++;
    res.statusCode = calls === 1 ? 503 : 200;
    res.end("ok");
  };
  const orderNo = `RETRY${Date.now()}`;
  const detail = await pushAndSettle(orderNo);
  expect(detail.callbackAttempts.map((a: any) => [a.attemptNo, a.httpStatus, a.acknowledged])).toEqual([
    [1, 503, false],
    [2, 200, true],
  ]);
});

it("gives each round of a shared callback job its own attempts: an acknowledged one is not sent again", async () => {
  const stamp = Date.now();
  const orderNos = ["A", "F", "S"].map((k) => `SHARED${k}${stamp}`);
  const [acks, fails, acksSecond] = orderNos;
  const settled = await Promise.all(orderNos.map((orderNo) => pushAndSettle(orderNo))); // round 1 acknowledged

  // Rounds opened together go out as ONE job (as those of orders a fulfilment job finished do),
  // which BullMQ retries while any of its rounds is open.
  const platform = stack.worker!.platform;
  const reopened = await Promise.all(settled.map((detail) => platform.callbacks.openNewRound(detail.id)));
  const sharedJobId = callbackJobId({ rounds: reopened.map((order) => ({ orderId: order!.id, round: 2 })) });
  const eventsConnection = createWorkerConnection(stack.config.redisUrl);
  const events = new QueueEvents(QueueName.callback, { connection: eventsConnection, prefix: stack.config.queuePrefix });
  const outcomes: string[] = [];
  events.on("delayed", ({ jobId }) => outcomes.push(`retried ${jobId}`)); // a failed run with attempts left waits out its backoff
  events.on("failed", ({ jobId }) => outcomes.push(`failed ${jobId}`));
  events.on("completed", ({ jobId }) => outcomes.push(`completed ${jobId}`));
  try {
    await events.waitUntilReady();
    const seen = new Map<string, number>();
    stack.receiver.respond = (cb, res) => {
      const n = (seen.get(cb.fields.order_no) ?? 0) + 1;
      seen.set(cb.fields.order_no, n);
      const ok = cb.fields.order_no === acks || (cb.fields.order_no === acksSecond && n === 2);
      res.statusCode = ok ? 200 : 500;
      res.end("ok");
    };
    await Promise.all(reopened.map((order) => platform.scheduler.scheduleNext(order!, undefined)));
    await eventually(async () => (outcomes.at(-1)?.startsWith("completed") ? true : undefined), 10_000);
    // Two runs left rounds open and were retried after the backoff; the third closed the last one.
    expect(outcomes).toEqual([`retried ${sharedJobId}`, `retried ${sharedJobId}`, `completed ${sharedJobId}`]);
  } finally {
    await events.close();
    eventsConnection.disconnect();
  }
  await new Promise((r) => setTimeout(r, BACKOFF_MS * 5)); // nothing more comes later
  expect([acks, fails, acksSecond].map((orderNo) => seen(orderNo))).toEqual([1, 3, 2]);
  const received = stack.receiver.for(fails).slice(1);
  expect(received[1].at - received[0].at).toBeGreaterThanOrEqual(BACKOFF_MS - 5);
  expect(received[2].at - received[1].at).toBeGreaterThanOrEqual(2 * BACKOFF_MS - 5);
  const round2 = async (orderNo: string) =>
    (await orderDetail(orderNo)).callbackAttempts.filter((x: any) => x.round === 2).map((x: any) => [x.attemptNo, x.acknowledged]);
  expect(await round2(acks)).toEqual([[1, true]]);
  expect(await round2(acksSecond)).toEqual([[1, false], [2, true]]);
  expect(await round2(fails)).toEqual([[1, false], [2, false], [3, false]]);
  expect((await orderDetail(fails)).callbackState).toBe("failed");

  /** Round 2's deliveries to an order (round 1 was one, acknowledged). */
  function seen(orderNo: string): number {
    return stack.receiver.for(orderNo).length - 1;
  }
});

describe("destinations", () => {
  let target: Server;
  let hits = 0;
  beforeAll(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.end("ok");
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  });
  afterAll(() => new Promise<void>((resolve) => target.close(() => resolve())));

  it("does not follow redirects: a 302 is an unacknowledged answer", async () => {
    const { port } = target.address() as AddressInfo;
    stack.receiver.respond = (_cb, res) => {
      res.statusCode = 302;
      res.setHeader("Location", `http://127.0.0.1:${port}/elsewhere`);
      res.end();
    };
    const orderNo = `REDIR${Date.now()}`;
    const detail = await pushAndSettle(orderNo, stack.receiver.url, "failed");
    expect(detail.callbackAttempts.map((a: any) => a.httpStatus)).toEqual([302, 302, 302]);
    expect(hits).toBe(0);
  });

  it("re-checks the destination at delivery and refuses one outside CALLBACK_ALLOWED_CIDRS without dialling it", async () => {
    const refused = createServer((_req, res) => res.end("ok"));
    let connections = 0;
    refused.on("connection", () => connections++);
    await new Promise<void>((resolve) => refused.listen(0, "127.0.0.2", resolve));
    try {
      const { port } = refused.address() as AddressInfo;
      const orderNo = `SSRF${Date.now()}`;
      const detail = await pushAndSettle(orderNo, `http://127.0.0.2:${port}/cb`, "failed");
      expect(detail.callbackAttempts).toHaveLength(3);
      for (const attempt of detail.callbackAttempts) {
        expect(attempt.httpStatus).toBeNull();
        expect(attempt.error).toMatch(/refused/i);
      }
      expect(connections).toBe(0);
    } finally {
      await new Promise<void>((resolve) => refused.close(() => resolve()));
    }
  });
});

it("lets an administrator send a failed callback again, as a new round of attempts", async () => {
  answerWith(500, "no");
  const orderNo = `RESEND${Date.now()}`;
  const failed = await pushAndSettle(orderNo, stack.receiver.url, "failed");
  stack.receiver.respond = (_cb, res) => res.end("ok");
  const resend = await stack.admin("POST", `/admin/orders/${failed.id}/resend-callback`);
  expect(resend.status).toBe(202);
  const detail = await eventually(async () => {
    const d = await orderDetail(orderNo);
    return d.callbackState === "acked" ? d : undefined;
  });
  expect(detail.callbackRound).toBe(2);
  expect(detail.callbackAttempts.map((a: any) => [a.round, a.attemptNo, a.acknowledged])).toEqual([
    [1, 1, false],
    [1, 2, false],
    [1, 3, false],
    [2, 1, true],
  ]);
  expect(stack.receiver.for(orderNo)).toHaveLength(4);
});
