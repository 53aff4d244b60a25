import { execFileSync } from "node:child_process";
import { Platform, type Platform as PlatformType } from "@topup/core";
import { startOpsServer } from "../../apps/worker/src/ops-server";
import type { OperatorClient } from "../support/operator-client";
import { ADMIN_TOKEN, startStack, testLogger, type Stack } from "../support/stack";

// Prometheus metrics, health probes and the queue board of both services, against a real stack.
let stack: Stack;
let operator: OperatorClient;

beforeAll(async () => {
  stack = await startStack();
  operator = await stack.createOperator();
});
afterAll(async () => {
  await stack?.close();
});

const workerUrl = () => `http://127.0.0.1:${stack.worker!.metricsPort}`;

async function scrape(url: string): Promise<{ text: string; value(name: string, labels?: Record<string, string>): number }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return {
    text,
    // The sum of every sample of `name` whose labels include `labels`.
    value(name, labels = {}) {
      let sum = 0;
      for (const line of text.split("\n")) {
        const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const have = Object.fromEntries([...(m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
        if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(m[3]);
      }
      return sum;
    },
  };
}

/** Debian's promtool (package prometheus) lints the exposition; it must be installed, not skipped. */
function promtoolCheck(text: string): string {
  return execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
}

test("both services' metrics count exactly what happened: pushes accepted and rejected, transitions, attempts, callbacks, latencies", async () => {
  const orders = [`obs-ok-${Date.now()}`, `obs-fail-${Date.now()}`];
  const pushes = [operator.push({ order_no: orders[0], phone_number: "13812340000", notify_url: stack.receiver.url }), operator.push({ order_no: orders[1], phone_number: "13812340010", notify_url: stack.receiver.url })];
  for (const fields of pushes) expect((await operator.pushOrder(fields)).json.code).toBe("200");
  const forged = operator.push({ order_no: `obs-forged-${Date.now()}`, notify_url: stack.receiver.url, sign: "0".repeat(32) });
  expect((await operator.pushOrder(forged)).json.msg).toBe("签名错误");
  for (const orderNo of orders) await stack.receiver.waitFor(orderNo, 1, 20_000);
  // The acknowledgement is recorded just after the receiver answered.
  await new Promise((resolve) => setTimeout(resolve, 300));

  const ingress = await scrape(stack.adminUrl);
  expect(ingress.value("topup_orders_accepted_total")).toBe(2);
  expect(ingress.value("topup_orders_rejected_total", { reason: "签名错误" })).toBe(1);
  expect(ingress.value("topup_queue_jobs", { queue: "fulfilment", state: "wait" })).toBeGreaterThanOrEqual(0);
  expect(ingress.text).toMatch(/^topup_queue_jobs\{queue="callback",state="delayed",service="ingress"\} \d+$/m);

  const worker = await scrape(workerUrl());
  // 4 passes through 6, 0 and 2; …0010 is placed, then refused: 6, 0, 10 (PROTOCOL §10).
  expect(worker.value("topup_order_transitions_total", { from: "5", to: "6" })).toBe(2);
  expect(worker.value("topup_order_transitions_total", { from: "6", to: "0" })).toBe(2);
  expect(worker.value("topup_order_transitions_total", { from: "2", to: "4" })).toBe(1);
  expect(worker.value("topup_order_transitions_total", { from: "0", to: "10" })).toBe(1);
  expect(worker.value("topup_channel_attempts_total", { channel: "simulator", outcome: "succeeded" })).toBe(1);
  expect(worker.value("topup_channel_attempts_total", { channel: "simulator", outcome: "failed" })).toBe(1);
  expect(worker.value("topup_callback_attempts_total", { outcome: "acked" })).toBe(2);
  expect(worker.value("topup_push_to_final_seconds_count")).toBe(2);
  expect(worker.value("topup_push_to_final_seconds_count", { status: "10" })).toBe(1);
  expect(worker.value("topup_push_to_callback_seconds_count")).toBe(2);
  expect(worker.value("topup_push_to_callback_seconds_bucket", { le: "+Inf" })).toBe(2);
  expect(worker.value("topup_channel_circuit_state", { channel: "simulator", state: "closed" })).toBe(1);
  expect(worker.value("topup_channel_circuit_state", { channel: "simulator", state: "open" })).toBe(0);

  for (const text of [ingress.text, worker.text]) promtoolCheck(text);
});

test("/healthz and /readyz answer on the ingress's admin port and on the worker's metrics port", async () => {
  for (const base of [stack.adminUrl, workerUrl()]) {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: "ready", database: true, redis: true }]);
  }
});

describe("/readyz names what cannot be reached (503)", () => {
  const closed = "127.0.0.1:9"; // discard port: nothing listens on loopback here
  let platform: PlatformType | undefined;
  afterEach(async () => {
    await platform?.close();
    platform = undefined;
  });

  test.each([
    ["Redis", { redisUrl: `redis://${closed}` }, { database: true, redis: false }],
    ["the database", { databaseUrl: `postgresql://root@${closed}/test` }, { database: false, redis: true }],
  ])("%s down", async (_what, override, checks) => {
    platform = new Platform({ ...stack.config, ...override }, { role: "worker", logger: testLogger() });
    const server = await startOpsServer(platform, "127.0.0.1", 0);
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/readyz`);
      expect([res.status, await res.json()]).toEqual([503, { status: "not ready", ...checks }]);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      await server.close();
    }
  }, 15_000);
});

test("the queue board is behind the admin token", async () => {
  expect((await fetch(`${stack.adminUrl}/admin/queues`)).status).toBe(401);
  const board = await fetch(`${stack.adminUrl}/admin/queues`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(board.status).toBe(200);
  expect(await board.text()).toMatch(/<html/i);
  const api = await fetch(`${stack.adminUrl}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(api.status).toBe(200);
  expect(JSON.stringify(await api.json())).toContain("fulfilment");
});
