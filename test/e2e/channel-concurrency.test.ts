import type { ChildProcess } from "node:child_process";
import { FakeSupplier } from "../support/fake-supplier";
import { queryRows } from "../support/postgres";
import { eventually, startStack, type Stack } from "../support/stack";
import { startWorkerProcess } from "../support/worker-process";

// PROTOCOL §12: a channel is eligible while it has a free slot of its concurrency — slots shared by
// every worker process. Two worker processes (this one's and a child) place orders with a channel
// limited to 2; the supplier never holds more than 2 of them unfinished, and the rest are placed as
// slots come free.
let stack: Stack;
let child: ChildProcess | null = null;
let supplier: FakeSupplier;

beforeAll(async () => {
  stack = await startStack({ reachable: true, config: { defaultChannel: "" }, worker: { upstream: { firstQueryMs: 50, timeoutMs: 1_000 }, channelsMaxAgeMs: 50 } });
  supplier = await new FakeSupplier("7001", "limitedkey".padEnd(32, "0")).start();
  child = await startWorkerProcess(stack.config);
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await stack.close();
  await supplier.close();
});

const sql = (text: string, values: unknown[] = []) => queryRows(stack.config.databaseUrl, text, values);

test("a channel limited to 2 never has more than 2 orders in flight, across two worker processes", async () => {
  expect((await stack.admin("POST", "/admin/channels", { code: "limited", kind: "upstream", concurrency: 2, config: { baseUrl: supplier.url, uid: supplier.uid, md5key: supplier.key } })).status).toBe(201);
  expect((await stack.admin("POST", "/admin/routes", { channels: ["limited"] })).status).toBe(201);
  const operator = await stack.createOperator();
  const orderNos = Array.from({ length: 8 }, (_, i) => `LIMIT${Date.now()}-${i}`);
  await Promise.all(orderNos.map((order_no) => operator.pushOrder(operator.push({ order_no, notify_url: stack.receiver.url }))));

  let most = 0;
  const unfinished = () => [...supplier.orders.values()].filter((o) => o.statusId !== 4);
  const watch = setInterval(() => (most = Math.max(most, unfinished().length)), 5);
  try {
    // In rounds: whatever the supplier holds, it recharges once both workers had time to overfill it.
    await eventually(async () => {
      await new Promise((r) => setTimeout(r, 700));
      // While orders are still to place, hold on until both slots are taken, so that the limit is
      // shown reached and not only kept (a loaded machine can place the waiting orders slowly).
      const deadline = Date.now() + 5_000;
      while (unfinished().length < 2 && supplier.orders.size < orderNos.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const held = unfinished();
      expect(held.length).toBeLessThanOrEqual(2);
      const open = await sql("SELECT count(*)::int AS n FROM channel_attempts WHERE channel_code = 'limited' AND finished_at IS NULL");
      expect(open[0].n).toBeLessThanOrEqual(2);
      for (const o of held) o.statusId = 4;
      return stack.receiver.received.length >= orderNos.length ? true : undefined;
    }, 60_000, 0);
  } finally {
    clearInterval(watch);
  }
  expect(most).toBe(2);
  for (const orderNo of orderNos) expect((await stack.receiver.waitFor(orderNo))[0].fields.status).toBe("4");
  expect(supplier.orders.size).toBe(orderNos.length);
  // Every slot is free again.
  expect(await sql("SELECT slot_no, order_id FROM channel_slots WHERE channel_code = 'limited' ORDER BY slot_no")).toEqual([
    { slot_no: 0, order_id: null },
    { slot_no: 1, order_id: null },
  ]);
}, 90_000);

test("slots follow the channel's concurrency: raised, lowered, removed", async () => {
  expect((await stack.admin("POST", "/admin/channels", { code: "resized", kind: "manual", concurrency: 3 })).status).toBe(201);
  const slots = async () => (await sql("SELECT slot_no FROM channel_slots WHERE channel_code = 'resized' ORDER BY slot_no")).map((r) => r.slot_no);
  expect(await slots()).toEqual([0, 1, 2]);
  await stack.admin("PATCH", "/admin/channels/resized", { concurrency: 5 });
  expect(await slots()).toEqual([0, 1, 2, 3, 4]);
  await stack.admin("PATCH", "/admin/channels/resized", { concurrency: 1 });
  expect(await slots()).toEqual([0]);
  await stack.admin("PATCH", "/admin/channels/resized", { concurrency: null });
  expect(await slots()).toEqual([]);
});

test("a slot claimed by a worker that died before placing the order is freed by the sweep, and only then", async () => {
  expect((await stack.admin("POST", "/admin/channels", { code: "leaky", kind: "manual", concurrency: 1 })).status).toBe(201);
  const { slots } = stack.ingress.platform;
  expect(await slots.claim("leaky", "424242")).toBe(true);
  expect(await slots.claim("leaky", "424242")).toBe(true); // the slot it holds
  expect(await slots.claim("leaky", "434343")).toBe(false);
  expect(await slots.sweep(60_000)).toBe(0); // still within its grace
  expect(await slots.sweep(0)).toBe(1);
  expect(await slots.claim("leaky", "434343")).toBe(true);
});
