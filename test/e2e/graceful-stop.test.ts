import http from "node:http";
import { connect } from "node:net";
import { Platform } from "@topup/core";
import { balanceQuerySign, OrderStatus } from "@topup/protocol";
import { Client } from "pg";
import { startIngress } from "../../apps/ingress/src";
import { startWorker } from "../../apps/worker/src";
import { CallbackReceiver } from "../support/callback-receiver";
import { eventually, startStack, testLogger, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// SIGTERM (issue #3): a stopping ingress finishes what is in flight, serves nothing new — not even
// on connections a client keeps alive — and stops promptly. (Found by test/faults, scenario "sigterm".)
let stack: Stack;
let op: OperatorClient;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  op = await stack.createOperator();
});
afterAll(() => stack.close());

type Answer = { status: number; connection: string | undefined; afterClose: boolean } | { error: string; afterClose: boolean };

/** A balance query over `agent`; `midway` runs after the first half of the body went out, before the rest. */
function balanceOver(agent: http.Agent, port: number, closing: () => boolean, midway?: () => Promise<void>): Promise<Answer> {
  const body = new URLSearchParams({ uid: op.uid, sign: balanceQuerySign(op.uid, op.key) }).toString();
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: "/1/api/oper/balance",
        method: "POST",
        agent,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, afterClose: closing() }));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message, afterClose: closing() }));
    const half = Math.floor(body.length / 2);
    req.write(body.slice(0, half));
    void (midway ?? (() => Promise.resolve()))().then(() => req.end(body.slice(half)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}

it("stops serving a busy kept-alive connection and closes within seconds", async () => {
  const ingress = await startIngress({ ...stack.config, port: 0, adminPort: 0 }, testLogger(), { poolMax: 2 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const answers: Answer[] = [];
  let closing = false;
  let closed: Promise<number> | null = null;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // Back-to-back requests over one kept-alive connection, as a load balancer's pool sends them;
  // close() begins while the third one is in flight (its body half sent).
  const client = (async () => {
    const until = Date.now() + 15_000;
    for (let n = 1; Date.now() < until; n++) {
      const midway =
        n === 3
          ? async () => {
              await sleep(100);
              closing = true;
              const started = Date.now();
              closed = ingress.close().then(() => Date.now() - started);
              await sleep(100);
            }
          : undefined;
      const answer = await balanceOver(agent, ingress.operatorPort, () => closing, midway);
      answers.push(answer);
      if ("error" in answer) break;
    }
  })();
  await eventually(async () => (closed ? true : undefined));
  let timer: NodeJS.Timeout | undefined;
  const took = await Promise.race([
    closed as unknown as Promise<number>,
    new Promise<number>((resolve) => (timer = setTimeout(() => resolve(Number.POSITIVE_INFINITY), 6_000))),
  ]);
  clearTimeout(timer);
  await client;
  agent.destroy();

  expect(took).toBeLessThan(5_000);
  const served = answers.filter((a): a is Extract<Answer, { status: number }> => "status" in a);
  expect(served.every((a) => a.status === 200)).toBe(true);
  // Only the request in flight when close() began is answered afterwards, telling the client to close.
  const servedAfter = served.filter((a) => a.afterClose);
  expect(servedAfter).toHaveLength(1);
  expect(servedAfter[0].connection).toBe("close");
  // The client then has to go elsewhere: this ingress refuses new connections.
  expect(answers[answers.length - 1]).toEqual({ error: "ECONNREFUSED", afterClose: true });
}, 30_000);

it("finishes a push whose body is still arriving when close() begins, and refuses new connections meanwhile", async () => {
  const ingress = await startIngress({ ...stack.config, port: 0, adminPort: 0 }, testLogger(), { poolMax: 2 });
  const orderNo = `GRACE${Date.now()}`;
  const body = new URLSearchParams(op.push({ order_no: orderNo, notify_url: stack.receiver.url }) as unknown as Record<string, string>).toString();
  const half = Math.floor(body.length / 2);
  const socket = connect({ host: "127.0.0.1", port: ingress.operatorPort });
  let answer = "";
  socket.on("data", (d: Buffer) => (answer += d.toString("utf8")));
  const ended = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  // A kept-alive request (no Connection: close from the client), cut in the middle of its body.
  socket.write(
    `POST /1/api/oper/order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, half)}`,
  );
  await new Promise((r) => setTimeout(r, 200));
  const closed = ingress.close();
  await new Promise((r) => setTimeout(r, 200));
  expect(await accepts(ingress.operatorPort)).toBe(false);

  socket.write(body.slice(half));
  await ended; // the server closes the connection after its answer
  await closed;
  expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  expect(answer.toLowerCase()).toContain("connection: close");
  expect(answer.endsWith('{"code":"200","count":"1","msg":"Success"}')).toBe(true);
  const stored = await op.queryOrder(orderNo);
  expect(stored.json.code).toBe("200");
}, 30_000);


// A worker holds callback jobs of up to 100 rounds and sends at most 64 callbacks at once: a stop
// lets those in flight end and hands the unsent rounds back, instead of sending them all first.
it("a stopping worker finishes the callbacks it sent and hands back the rounds it had not sent", async () => {
  const receiver = await new CallbackReceiver().start();
  receiver.respond = (_cb, res) => setTimeout(() => res.end("ok"), 1_000);
  const platform = new Platform(stack.config, { role: "worker", logger: testLogger(), poolMax: 4 });
  const pg = new Client({ connectionString: stack.config.databaseUrl });
  await pg.connect();
  try {
    const orderNos = Array.from({ length: 70 }, (_, i) => `HANDBACK${i}x${Date.now()}`);
    for (const orderNo of orderNos) expect((await op.pushOrder(op.push({ order_no: orderNo, notify_url: receiver.url }))).json.code).toBe("200");
    await platform.queues.fulfilment.drain(true); // this test moves the orders itself
    const { rows } = await pg.query<{ id: string }>("SELECT id::text AS id FROM orders WHERE order_no = ANY($1)", [orderNos]);
    const finished = await Promise.all(
      rows.map((row) => platform.orders.transitionPath(row.id, OrderStatus.Created, [{ to: OrderStatus.Placing }, { to: OrderStatus.Failed, reason: "refused" }])),
    );
    await Promise.all(finished.map((order) => platform.scheduler.scheduleNext(order!, undefined))); // one job of 70 rounds
    expect((await platform.queues.callback.getJobs(["wait"])).map((job) => job.data.rounds.length)).toEqual([70]);

    const first = await startWorker(stack.config, testLogger(), { poolMax: 4, reconcileEveryMs: 0 });
    await eventually(async () => (receiver.received.length >= 64 ? true : undefined));
    const started = Date.now();
    await first.close();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(receiver.received).toHaveLength(64); // the other 6 were never sent
    const attempts = async () =>
      (await pg.query<{ n: string }>("SELECT count(*) AS n FROM callback_attempts WHERE order_id = ANY($1::bigint[])", [rows.map((r) => r.id)])).rows[0].n;
    expect(await attempts()).toBe("64");

    // The job comes back to the next worker, which sends only the 6 rounds still open.
    const second = await startWorker(stack.config, testLogger(), { poolMax: 4, reconcileEveryMs: 0 });
    try {
      await eventually(async () => {
        const { rows: open } = await pg.query("SELECT 1 FROM orders WHERE order_no = ANY($1) AND callback_state <> 'acked'", [orderNos]);
        return open.length === 0 ? true : undefined;
      }, 15_000);
    } finally {
      await second.close();
    }
    expect(receiver.received).toHaveLength(70);
    expect(new Set(receiver.received.map((cb) => cb.fields.order_no)).size).toBe(70);
    expect(await attempts()).toBe("70");
  } finally {
    await pg.end();
    await platform.close();
    await receiver.close();
  }
}, 40_000);
