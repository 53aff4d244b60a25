import type { ChannelOrder, ChannelStatus, PlaceResult, RechargeChannel } from "@topup/channels";
import type { OperatorClient } from "../support/operator-client";
import { queryRows } from "../support/postgres";
import { eventually, startStack, type Stack } from "../support/stack";

// Channel health end to end (docs/channels.md): a supplier that stops answering trips its circuit
// in the database, routing sends new orders to the next channel, after the cool-down the circuit
// goes half-open and closes again once the supplier answers; GET /admin/channels/:code shows it all.

/** A supplier of the test's own, in place of the upstream client: up or down at the test's word. */
class FakeSupplier implements RechargeChannel {
  readonly kind = "upstream";
  readonly stepDelayMs = 0;
  down = true;
  funds: number | Error = 50_000;
  readonly placed: string[] = [];
  private calls = 0;

  constructor(readonly code: string) {}

  async place(order: ChannelOrder): Promise<PlaceResult> {
    this.placed.push(order.serialNumber);
    if (this.down) {
      // Down: a reset now and then, otherwise no answer in time — both unknown outcomes.
      if (this.calls++ % 3 === 0) throw new Error("socket hang up");
      return { outcome: "unknown", detail: "timeout" };
    }
    return { outcome: "placed", channelOrderNo: `77${order.serialNumber}` };
  }

  async query(order: ChannelOrder): Promise<ChannelStatus> {
    if (this.down) return { state: "unknown", detail: "answer not signed" };
    return { state: "succeeded", channelOrderNo: `77${order.serialNumber}` };
  }

  async balance(): Promise<number | null> {
    if (this.funds instanceof Error) throw this.funds;
    return this.funds;
  }
}

const supplier = new FakeSupplier("flaky");
let stack: Stack;
let operator: OperatorClient;
let seq = 0;

beforeAll(async () => {
  stack = await startStack({
    worker: {
      channelClient: (record) => (record.code === supplier.code ? supplier : undefined),
      channelsMaxAgeMs: 100,
      // A push that throws fails its job after the order went to 6: the job's retry finds it moved
      // on, and the reconciler brings the order's next step back.
      reconcileEveryMs: 200,
      reconcileGraceMs: 100,
      channelHealth: { flushEveryMs: 100, circuit: { coolDownMs: 1_500 } },
    },
  });
  operator = await stack.createOperator({ name: "渠道健康" });
  const created = await stack.admin("POST", "/admin/channels", { code: supplier.code, kind: "upstream", config: { baseUrl: "http://supplier.invalid", uid: "501", md5key: "f".repeat(32) }, concurrency: 20 });
  expect(created.status).toBe(201);
  expect((await stack.admin("POST", "/admin/routes", { channels: [supplier.code, "simulator"] })).status).toBe(201);
});
afterAll(() => stack.close());

const sql = (text: string, values: unknown[] = []) => queryRows(stack.config.databaseUrl, text, values);

async function push(count: number): Promise<string[]> {
  const orderNos = Array.from({ length: count }, () => `HEALTH${Date.now()}${seq++}`);
  for (const orderNo of orderNos) {
    const answer = await operator.pushOrder(operator.push({ order_no: orderNo, phone_number: "13900001234", face_value: "1000", notify_url: stack.receiver.url }));
    expect(answer.json.code).toBe("200");
  }
  return orderNos;
}

const channel = async () => (await stack.admin("GET", `/admin/channels/${supplier.code}`)).body;
const moves = () => stack.worker!.platform.channelHealth.moves.filter((m) => m.code === supplier.code).map((m) => `${m.from}→${m.to}`);
const circuitIs = (state: string) => eventually(async () => ((await channel()).circuit.state === state ? true : undefined), 20_000);

it("opens the circuit on consecutive errors, in the database", async () => {
  const stuck = await push(5);
  await circuitIs("open");
  const [row] = await sql("SELECT circuit_state, circuit_opened_at, consecutive_failures FROM channels WHERE code = $1", [supplier.code]);
  expect(row.circuit_state).toBe("open");
  expect(row.circuit_opened_at).toBeInstanceOf(Date);
  expect(row.consecutive_failures).toBeGreaterThanOrEqual(5);
  expect(moves()).toEqual(["closed→open"]);
  // The orders it holds stay with it: an unknown outcome is never a failure (PROTOCOL §12).
  const orders = await sql("SELECT channel, status FROM orders WHERE order_no = ANY($1)", [stuck]);
  expect(orders.every((o) => o.channel === supplier.code && o.status === 6)).toBe(true);

  const detail = await channel();
  expect(detail.health).toMatchObject({
    window: 60,
    successRate: 0,
    orders: { succeeded: 0, failed: 0, successRate: null },
    circuit: { state: "open", openedAt: row.circuit_opened_at.toISOString() },
    inFlight: 5,
  });
  // The held orders are still queried (and still fail) between the two reads, so the count only grows.
  expect(detail.health.consecutiveErrors).toBeGreaterThanOrEqual(row.consecutive_failures);
  expect(detail.health.calls).toBeGreaterThanOrEqual(5);
  expect(detail.health.errors).toBe(detail.health.calls);
  expect(detail.health.latencyMs.p50).toEqual(expect.any(Number));
  expect(detail.health.latencyMs.p95).toBeGreaterThanOrEqual(detail.health.latencyMs.p50);
  const listed = (await stack.admin("GET", "/admin/channels")).body.find((c: any) => c.code === supplier.code);
  expect(listed.health).toMatchObject({ window: 60, successRate: 0, inFlight: 5 });
  expect(listed.health.calls).toBeGreaterThanOrEqual(detail.health.calls); // the orders it holds are still asked about
});

it("routes new orders to the next channel while the circuit is open", async () => {
  await new Promise((r) => setTimeout(r, 300)); // the worker's channel directory reads the circuit within 100 ms here
  const orderNos = await push(3);
  const done = await eventually(async () => {
    const rows = await sql("SELECT status, channel, serial_number FROM orders WHERE order_no = ANY($1)", [orderNos]);
    return rows.length === 3 && rows.every((r) => r.status === 4) ? rows : undefined;
  });
  expect(done.map((r) => r.channel)).toEqual(["simulator", "simulator", "simulator"]);
  const attempts = await sql("SELECT a.channel_code FROM channel_attempts a JOIN orders o ON o.id = a.order_id WHERE o.order_no = ANY($1)", [orderNos]);
  expect(attempts.map((a) => a.channel_code)).toEqual(["simulator", "simulator", "simulator"]);
  expect(done.filter((r) => supplier.placed.includes(r.serial_number))).toEqual([]); // never offered to the supplier
});

it("goes half-open after the cool-down and closes after successes on probation", async () => {
  supplier.down = false;
  await eventually(async () => (moves().includes("open→half_open") ? true : undefined), 20_000);
  // Probation: orders go to the supplier again, and its answers close the circuit.
  const orderNos: string[] = [];
  await eventually(async () => {
    if (moves().includes("half_open→closed")) return true;
    orderNos.push(...(await push(1)));
    await new Promise((r) => setTimeout(r, 200));
    return undefined;
  }, 20_000);
  expect(moves()).toEqual(["closed→open", "open→half_open", "half_open→closed"]);
  expect((await channel()).circuit).toMatchObject({ state: "closed", consecutiveFailures: 0 });
  // The orders it held while down settle with it; new ones go to it again (tier 0).
  const settled = await eventually(async () => {
    const rows = await sql("SELECT status, channel FROM orders WHERE channel = $1", [supplier.code]);
    return rows.length >= 6 && rows.every((r) => r.status === 4) ? rows : undefined;
  }, 30_000);
  expect(settled.length).toBeGreaterThanOrEqual(6);
  // Closing started its window afresh: no errors in it.
  const health = (await channel()).health;
  expect(health.errors).toBe(0);
  expect(health.successRate === null || health.successRate === 1).toBe(true);
});

it("opens again on an error on probation", async () => {
  supplier.down = true;
  await eventually(async () => {
    if (moves().filter((m) => m === "closed→open").length === 2) return true;
    await push(1);
    await new Promise((r) => setTimeout(r, 100));
    return undefined;
  }, 20_000);
  await eventually(async () => {
    if (moves().at(-1) === "half_open→open") return true;
    if (moves().at(-1) === "open→half_open") await push(1); // a probe, to the supplier that is still down
    await new Promise((r) => setTimeout(r, 200));
    return undefined;
  }, 20_000);
  expect((await channel()).circuit.state).toBe("open");
});

it("lets an administrator reset the circuit, audited", async () => {
  const res = await stack.admin("PATCH", `/admin/channels/${supplier.code}`, { circuit: "closed" });
  expect(res.status).toBe(200);
  expect(res.body.circuit).toMatchObject({ state: "closed", consecutiveFailures: 0, consecutiveSuccesses: 0 });
  const [audit] = await sql("SELECT before, after FROM audit_log WHERE target_type = 'channel' AND target_id = $1 AND action = 'channel.update' ORDER BY id DESC LIMIT 1", [supplier.code]);
  expect(audit.before.circuit.state).not.toBe("closed");
  expect(audit.after.circuit.state).toBe("closed");
  expect((await stack.admin("PATCH", `/admin/channels/${supplier.code}`, { circuit: "open" })).body.error).toBe('circuit can only be set to "closed" (a reset)');
  supplier.down = false;
});

it("shows the balance the worker read, and keeps it when a read fails", async () => {
  // The worker's first poll is a minute away: poll by hand.
  const poller = stack.worker!.platform.balancePoller;
  expect(await poller.pollOnce()).toEqual({ read: [supplier.code], failed: [] });
  const first = await channel();
  expect(first.balance).toBe(50_000);
  expect(Date.parse(first.balanceReadAt)).toBeGreaterThan(Date.now() - 10_000);
  // Claimed for the minute: a second poll right away reads nothing.
  expect(await poller.pollOnce()).toEqual({ read: [], failed: [] });

  await sql("UPDATE channels SET balance_claimed_at = balance_claimed_at - interval '1 minute' WHERE code = $1", [supplier.code]);
  supplier.funds = new Error("connect ECONNREFUSED");
  expect(await poller.pollOnce()).toEqual({ read: [], failed: [supplier.code] });
  const after = await channel();
  expect([after.balance, after.balanceReadAt]).toEqual([50_000, first.balanceReadAt]);
});
