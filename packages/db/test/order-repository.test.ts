import { CALLBACK_TIMEOUT_MS, OrderStatus } from "@topup/protocol";
import {
  CallbackRepository,
  createDatabase,
  IllegalTransitionError,
  LedgerRepository,
  OperatorRepository,
  OrderRepository,
  type Database,
  type InsertOutcome,
  type OperatorRecord,
  type OrderRecord,
} from "../src";
import { createTestDatabase } from "../../../test/support/test-database";

// The lifecycle's persistence guarantees: conditional transitions, history, one settlement per order.
let drop: () => Promise<void>;
let db: Database;
let orders: OrderRepository;
let ledger: LedgerRepository;
let operator: OperatorRecord;
let seq = 0;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = createDatabase(database.url, { poolMax: 20 });
  orders = new OrderRepository(db);
  ledger = new LedgerRepository(db);
  operator = await new OperatorRepository(db).create({
    uid: "repo-op", name: "运营商", md5key: "k".repeat(32), rateBp: 9900, ipWhitelist: [], enabled: true, strictCarrier: false, faceValues: [], rateLimitPerSecond: null,
  });
});
afterAll(async () => {
  await db.close();
  await drop();
});

async function newOrder(faceValue = 1200) {
  const { order } = await orders.insert({
    operatorId: operator.id, orderNo: `R${seq++}`, orderType: 1, mobileType: 1, phoneNumber: "13812345678",
    faceValue, settlementRateBp: operator.rateBp, notifyUrl: "http://127.0.0.1/cb", clientIp: "127.0.0.1",
  });
  return order;
}

/** A terminal move opens callback round 1, due by the end of its first attempt: the reconciler's work list. */
function expectRoundDue(order: OrderRecord | null | undefined, movedFrom: number): void {
  const due = order!.nextCheckAt!.getTime();
  expect(due).toBeGreaterThanOrEqual(movedFrom + CALLBACK_TIMEOUT_MS);
  expect(due).toBeLessThanOrEqual(Date.now() + CALLBACK_TIMEOUT_MS);
}

async function walk(id: string, path: OrderStatus[]) {
  for (let i = 1; i < path.length; i++) {
    expect(await orders.transition(id, path[i - 1], path[i], { nextCheckAt: new Date() })).not.toBeNull();
  }
}

it("stores an order at 5 with a digit serial derived from its id, a creation history row and a planned first step", async () => {
  const order = await newOrder();
  expect(order.status).toBe(OrderStatus.Created);
  expect(order.serialNumber).toMatch(/^\d{18}$/);
  expect(order.serialNumber.endsWith(order.id.padStart(10, "0"))).toBe(true);
  expect(order.nextCheckAt).toBeInstanceOf(Date);
  expect(order.callbackState).toBe("none");
  // The insert reads back only what the database chose; the rest of its record must be the row as stored.
  expect(await orders.findById(order.id)).toEqual(order);
  const history = await orders.history(order.id);
  expect(history).toHaveLength(1);
  expect(history[0]).toMatchObject({ fromStatus: null, toStatus: 5, reason: "accepted" });
});

it("finds the stored order again for a repeated (operator, order_no) instead of storing a second", async () => {
  const first = await newOrder();
  const again = await orders.insert({
    operatorId: operator.id, orderNo: first.orderNo, orderType: 2, mobileType: 2, phoneNumber: "13000000000",
    faceValue: 1, settlementRateBp: 1, notifyUrl: "http://x/", clientIp: null,
  });
  expect(again.created).toBe(false);
  expect(again.order).toEqual(first);
});

const batchOrder = (orderNo: string, phoneNumber = "13812345678") => ({
  operatorId: operator.id, orderNo, orderType: 1, mobileType: 1, phoneNumber, faceValue: 1000,
  settlementRateBp: operator.rateBp, notifyUrl: "http://127.0.0.1/cb", clientIp: "127.0.0.1",
});

/** The number of orders in each insert statement sent while `work` runs. */
async function insertStatements(work: () => Promise<unknown>): Promise<number[]> {
  const query = jest.spyOn(db, "keyed");
  try {
    await work();
    return query.mock.calls.filter(([name]) => name === "order_insert").map(([, , values]) => (values[1] as string[]).length);
  } finally {
    query.mockRestore();
  }
}

it("stores orders arriving together in one statement; a repeat within the batch resolves to the one stored row", async () => {
  const tag = `B${seq++}`;
  let outcomes: InsertOutcome[] = [];
  const statements = await insertStatements(async () => {
    outcomes = await Promise.all([
      orders.insert(batchOrder(`${tag}-1`)),
      orders.insert(batchOrder(`${tag}-2`, "13900000002")),
      orders.insert(batchOrder(`${tag}-1`)),
    ]);
  });
  expect(statements).toEqual([3]);
  const [first, second, repeat] = outcomes;
  expect([first.created, second.created, repeat.created]).toEqual([true, true, false]);
  expect(repeat.order).toEqual(first.order);
  expect(second.order.phoneNumber).toBe("13900000002");
  expect(second.order.id).not.toBe(first.order.id);
  for (const o of [first, second]) expect((await orders.history(o.order.id)).map((h) => h.toStatus)).toEqual([5]);
});

it("retries every order of a batch on its own when one row is bad, so that only that one fails", async () => {
  const tag = `B${seq++}`;
  let settled: PromiseSettledResult<InsertOutcome>[] = [];
  const statements = await insertStatements(async () => {
    settled = await Promise.allSettled([
      orders.insert(batchOrder(`${tag}-1`)),
      orders.insert(batchOrder("x".repeat(65))), // longer than the column: a data error of this row only
      orders.insert(batchOrder(`${tag}-2`)),
      orders.insert(batchOrder(`${tag}-1`)),
    ]);
  });
  expect(statements).toEqual([4, 1, 1, 1, 1]);
  expect(settled.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
  const [a, , b, c] = settled.map((r) => (r.status === "fulfilled" ? r.value : null));
  // Retried one by one, the two pushes of one order_no race: exactly one of them creates it.
  expect([a!.created, c!.created].sort()).toEqual([false, true]);
  expect(a!.order).toEqual(c!.order);
  expect(b!.created).toBe(true);
});

it("refuses transitions the state machine does not allow, before touching the database", async () => {
  const order = await newOrder();
  await expect(orders.transition(order.id, OrderStatus.Created, OrderStatus.Succeeded)).rejects.toBeInstanceOf(IllegalTransitionError);
  await expect(orders.transition(order.id, OrderStatus.Succeeded, OrderStatus.Created)).rejects.toBeInstanceOf(IllegalTransitionError);
});

it("moves an order only from the status it is at: a replayed step changes nothing", async () => {
  const order = await newOrder();
  expect(await orders.transition(order.id, OrderStatus.Created, OrderStatus.Placing, { channel: "simulator" })).toMatchObject({ status: 6, channel: "simulator" });
  expect(await orders.transition(order.id, OrderStatus.Created, OrderStatus.Placing)).toBeNull();
  expect((await orders.history(order.id)).map((h) => h.toStatus)).toEqual([5, 6]);
});

it("lets exactly one of many concurrent settlements through, posting one 订单收款 entry at the order's rate", async () => {
  const order = await newOrder(1200);
  await walk(order.id, [5, 6, 0, 2]);
  const movedFrom = Date.now();
  const results = await Promise.all(Array.from({ length: 12 }, () => orders.transition(order.id, OrderStatus.Paying, OrderStatus.Succeeded)));
  expect(results.filter((r) => r !== null)).toHaveLength(1);
  const settled = results.find((r) => r !== null)!;
  expect(settled).toMatchObject({ status: 4, callbackState: "pending", callbackRound: 1 });
  expectRoundDue(settled, movedFrom);
  expect(settled.finishedAt).toBeInstanceOf(Date);
  const entries = (await ledger.entries(operator.accountId)).filter((e) => e.orderId === order.id);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ kind: "order_income", record: "订单收款", payMoney: 1200, income: 1188, expenditure: 0 });
  expect((await orders.history(order.id)).map((h) => h.toStatus)).toEqual([5, 6, 0, 2, 4]);
});

it("takes a whole path in one statement: one history row per step in order, one settlement, and only from where it was", async () => {
  const order = await newOrder(1500);
  await walk(order.id, [5, 6]);
  const steps = [
    { to: OrderStatus.Unpaid, reason: "placed" },
    { to: OrderStatus.Paying, reason: "paying" },
    { to: OrderStatus.Succeeded, reason: "succeeded" },
  ];
  const movedFrom = Date.now();
  const replays = await Promise.all(
    Array.from({ length: 8 }, () => orders.transitionPath(order.id, OrderStatus.Placing, steps, { mobileOrderNo: "M-1", nextCheckAt: new Date() })),
  );
  expect(replays.filter((r) => r !== null)).toHaveLength(1);
  expect(replays.find((r) => r !== null)).toMatchObject({ status: 4, mobileOrderNo: "M-1", callbackState: "pending" });
  expectRoundDue(replays.find((r) => r !== null), movedFrom); // the planned step's time does not apply to a terminal status
  const history = await orders.history(order.id);
  expect(history.map((h) => [h.fromStatus, h.toStatus, h.reason])).toEqual([
    [null, 5, "accepted"], [5, 6, null], [6, 0, "placed"], [0, 2, "paying"], [2, 4, "succeeded"],
  ]);
  const entries = (await ledger.entries(operator.accountId, 1000)).filter((e) => e.orderId === order.id);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({ record: "订单收款", payMoney: 1500, income: 1485 });
});

it("refuses a path with any step the state machine does not allow, and an empty one, before touching the database", async () => {
  const order = await newOrder();
  await walk(order.id, [5, 6]);
  await expect(orders.transitionPath(order.id, OrderStatus.Placing, [{ to: OrderStatus.Unpaid }, { to: OrderStatus.Succeeded }])).rejects.toBeInstanceOf(IllegalTransitionError);
  await expect(orders.transitionPath(order.id, OrderStatus.Placing, [])).rejects.toThrow();
  expect((await orders.findById(order.id))!.status).toBe(OrderStatus.Placing);
});

it("keeps the balance equal to Σincome − Σexpenditure and to the latest entry's balance under concurrent postings", async () => {
  const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => newOrder(1000 + i * 100)));
  for (const order of batch) await walk(order.id, [5, 6, 0, 2]);
  await Promise.all([
    ...batch.map((order) => orders.transition(order.id, OrderStatus.Paying, OrderStatus.Succeeded)),
    ledger.postAdjustment(operator.accountId, { income: 0, expenditure: 700, record: "手工扣款" }),
    ledger.postAdjustment(operator.accountId, { income: 5000, expenditure: 0, record: "预存款" }),
  ]);
  const snapshot = (await ledger.balance(operator.accountId))!;
  expect(snapshot.balance).toBe(await ledger.recomputedBalance(operator.accountId));
  const all = await ledger.entries(operator.accountId, 1000);
  expect(snapshot.latest!.id).toBe(all[0].id);
  // Entries in id order carry a running balance: each balance_after = previous + income − expenditure.
  const ascending = [...all].reverse();
  ascending.reduce((previous, e) => {
    expect(e.balanceAfter).toBe(previous + e.income - e.expenditure);
    return e.balanceAfter;
  }, 0);
});

it("never settles failed or returned orders", async () => {
  const failed = await newOrder();
  await walk(failed.id, [5, 6, 0, 10]);
  const returned = await newOrder();
  await walk(returned.id, [5, 6, 0, 1, 9]);
  const entries = await ledger.entries(operator.accountId, 1000);
  expect(entries.some((e) => e.orderId === failed.id || e.orderId === returned.id)).toBe(false);
  expect(await orders.findById(returned.id)).toMatchObject({ status: 9, callbackState: "pending" });
});

it("reschedules only the plan it was asked to change", async () => {
  const order = await newOrder();
  const later = new Date(Date.now() + 60_000);
  expect(await orders.reschedule(order.id, OrderStatus.Created, order.nextCheckAt, later)).toBe(true);
  expect(await orders.reschedule(order.id, OrderStatus.Created, order.nextCheckAt, new Date())).toBe(false);
  expect((await orders.findById(order.id))!.nextCheckAt!.getTime()).toBe(later.getTime());
  const overdue = await orders.findOverdue(new Date(Date.now() + 120_000), 1000);
  expect(overdue.some((o) => o.id === order.id)).toBe(true);
});

describe("paths of many orders committed together", () => {
  it("settles the orders of two operators in one statement: one entry each, running balances in order id order", async () => {
    const other = await new OperatorRepository(db).create({
      uid: "repo-op-2", name: "运营商二", md5key: "m".repeat(32), rateBp: 9800, ipWhitelist: [], enabled: true, strictCarrier: false, faceValues: [], rateLimitPerSecond: null,
    });
    const mine = await Promise.all(Array.from({ length: 6 }, (_, i) => newOrder(1000 + i * 100)));
    const theirs = await Promise.all(
      Array.from({ length: 4 }, async (_, i) => (await orders.insert({
        operatorId: other.id, orderNo: `O${seq++}`, orderType: 1, mobileType: 1, phoneNumber: "13812345678",
        faceValue: 5000 + i, settlementRateBp: other.rateBp, notifyUrl: "http://127.0.0.1/cb", clientIp: null,
      })).order),
    );
    const all = [...mine, ...theirs];
    for (const order of all) await walk(order.id, [5, 6, 0, 2]);
    const before = (await ledger.balance(operator.accountId))!.balance;

    const statements = jest.spyOn(db, "keyed");
    const results = await Promise.all(all.map((order) => orders.transition(order.id, OrderStatus.Paying, OrderStatus.Succeeded)));
    expect(statements.mock.calls.filter(([name]) => name === "order_transition")).toHaveLength(1);
    statements.mockRestore();

    expect(results.map((r) => r?.status)).toEqual(all.map(() => 4));
    expect(results.map((r) => r?.id)).toEqual(all.map((o) => o.id)); // each caller gets its own order back
    for (const [op, batch] of [[operator, mine], [other, theirs]] as const) {
      const entries = (await ledger.entries(op.accountId, 1000)).reverse(); // ascending ids
      const settled = entries.filter((e) => batch.some((o) => o.id === e.orderId));
      expect(settled.map((e) => e.orderId)).toEqual(batch.map((o) => o.id).sort((a, b) => Number(a) - Number(b)));
      expect(settled.map((e) => e.income)).toEqual(batch.map((o) => Math.floor((o.faceValue * op.rateBp) / 10000)));
      entries.reduce((previous, e) => {
        expect(e.balanceAfter).toBe(previous + e.income - e.expenditure);
        return e.balanceAfter;
      }, 0);
      expect((await ledger.balance(op.accountId))!.balance).toBe(await ledger.recomputedBalance(op.accountId));
    }
    const income = mine.reduce((sum, o) => sum + Math.floor((o.faceValue * operator.rateBp) / 10000), 0);
    expect((await ledger.balance(operator.accountId))!.balance).toBe(before + income);
  });

  it("moves each order of a shared statement only from where it is, by its own path, and a replay in the same turn moves nothing", async () => {
    const [succeeds, fails, waits, stale] = await Promise.all([newOrder(), newOrder(), newOrder(), newOrder()]);
    for (const order of [succeeds, fails, waits]) await walk(order.id, [5, 6]);
    const later = new Date(Date.now() + 30_000);
    const movedFrom = Date.now();
    const [a, replay, b, c, d] = await Promise.all([
      orders.transitionPath(succeeds.id, OrderStatus.Placing, [{ to: OrderStatus.Unpaid }, { to: OrderStatus.Paying }, { to: OrderStatus.Succeeded }], { mobileOrderNo: "M-A" }),
      orders.transitionPath(succeeds.id, OrderStatus.Placing, [{ to: OrderStatus.Unpaid }, { to: OrderStatus.Paying }, { to: OrderStatus.Succeeded }], { mobileOrderNo: "M-A" }),
      orders.transitionPath(fails.id, OrderStatus.Placing, [{ to: OrderStatus.Failed, reason: "refused" }]),
      orders.transitionPath(waits.id, OrderStatus.Placing, [{ to: OrderStatus.Unpaid, reason: "placed" }], { mobileOrderNo: "M-C", nextCheckAt: later }),
      orders.transitionPath(stale.id, OrderStatus.Placing, [{ to: OrderStatus.Unpaid }]), // still at 5
    ]);
    expect(a).toMatchObject({ id: succeeds.id, status: 4, mobileOrderNo: "M-A", callbackState: "pending", callbackRound: 1 });
    expectRoundDue(a, movedFrom);
    expect(replay).toBeNull();
    expect(b).toMatchObject({ id: fails.id, status: 10, callbackState: "pending" });
    expectRoundDue(b, movedFrom);
    expect(c).toMatchObject({ id: waits.id, status: 0, mobileOrderNo: "M-C", callbackState: "none", finishedAt: null });
    expect(c!.nextCheckAt!.getTime()).toBe(later.getTime());
    expect(d).toBeNull();
    expect((await orders.history(succeeds.id)).map((h) => h.toStatus)).toEqual([5, 6, 0, 2, 4]);
    expect((await orders.history(fails.id)).map((h) => [h.toStatus, h.reason])).toEqual([[5, "accepted"], [6, null], [10, "refused"]]);
    expect((await orders.history(stale.id)).map((h) => h.toStatus)).toEqual([5]);
    const entries = await ledger.entries(operator.accountId, 1000);
    expect(entries.filter((e) => e.orderId === succeeds.id)).toHaveLength(1);
    expect(entries.some((e) => e.orderId === fails.id)).toBe(false);
  });

  it("finds its order in the statement's answer whatever way the id is written", async () => {
    const order = await newOrder();
    expect(await orders.transition(`00${order.id}`, OrderStatus.Created, OrderStatus.Placing)).toMatchObject({ id: order.id, status: 6 });
  });
});

it("reads orders asked for together in one statement, each with its own attempts; an unknown id reads as null", async () => {
  const [placed, fresh] = [await newOrder(), await newOrder()];
  await orders.transitionPath(placed.id, OrderStatus.Created, [{ to: OrderStatus.Placing, reason: "placing with simulator" }], { channel: "simulator", openAttempt: 1 });
  const query = jest.spyOn(db, "keyed");
  let found: Awaited<ReturnType<OrderRepository["findWithAttempts"]>>[] = [];
  try {
    found = await Promise.all([orders.findWithAttempts(placed.id), orders.findWithAttempts(`0${fresh.id}`), orders.findWithAttempts("999999999999"), orders.findWithAttempts(placed.id)]);
    expect(query.mock.calls.filter(([name]) => name === "orders_with_attempts")).toHaveLength(1);
  } finally {
    query.mockRestore();
  }
  const [first, second, missing, again] = found;
  expect(first).toMatchObject({ order: { id: placed.id, status: 6, channel: "simulator" }, attempts: [{ channel: "simulator", attemptNo: 1, outcome: "pending", finished: false }] });
  expect(second).toMatchObject({ order: { id: fresh.id, status: 5 }, attempts: [] });
  expect(missing).toBeNull();
  expect(again).toEqual(first);
});

it("keeps any reason text exactly through the batched statement's arrays (quotes, backslashes, braces, NULL)", async () => {
  const reasons = ['resolved by ops: "manual", {checked}', "back\\slash, comma", "NULL", "", "多字节 ✓"];
  const orders_ = await Promise.all(reasons.map(() => newOrder()));
  const moved = await Promise.all(
    orders_.map((order, i) => orders.transition(order.id, OrderStatus.Created, OrderStatus.Placing, { reason: reasons[i], channel: reasons[i] ? "sim,\"x\"" : undefined })),
  );
  expect(moved.every((m) => m !== null)).toBe(true);
  for (const [i, order] of orders_.entries()) {
    const last = (await orders.history(order.id)).at(-1)!;
    expect(last.reason).toBe(reasons[i]);
  }
  expect(moved[0]!.channel).toBe('sim,"x"');
  expect(moved[3]!.channel).toBeNull();
});

describe("the reconciler's work list (next_check_at)", () => {
  const attempt = (orderId: string, over: { acknowledged: boolean; final: boolean; nextCheckAt: Date }) => ({
    orderId, round: 1, attemptNo: 1, status: 4, startedAt: new Date(), httpStatus: 500, bodyExcerpt: "no",
    latencyMs: 3, error: null, remoteAddress: "127.0.0.1", ...over,
  });
  const overdueIds = async (before: Date) => (await orders.findOverdue(before, 10_000)).map((o) => o.id);

  it("holds an open callback round until it closes: due after each attempt by the next one's end, gone once acknowledged or failed", async () => {
    const callbacks = new CallbackRepository(db);
    const [acked, failed] = await Promise.all([newOrder(), newOrder()]);
    for (const order of [acked, failed]) await walk(order.id, [5, 6, 0, 2, 4]);
    const pastFirstAttempt = new Date(Date.now() + CALLBACK_TIMEOUT_MS + 1_000);
    expect(await overdueIds(pastFirstAttempt)).toEqual(expect.arrayContaining([acked.id, failed.id]));

    // A failed attempt that leaves the round open moves it to when the next attempt will have ended.
    const next = new Date(Date.now() + 60_000);
    await Promise.all([acked, failed].map((o) => callbacks.recordAttempt(attempt(o.id, { acknowledged: false, final: false, nextCheckAt: next }))));
    expect((await orders.findById(acked.id))!.nextCheckAt!.getTime()).toBe(next.getTime());
    expect(await overdueIds(pastFirstAttempt)).not.toContain(acked.id);
    expect(await overdueIds(new Date(next.getTime() + 1))).toEqual(expect.arrayContaining([acked.id, failed.id]));

    await callbacks.recordAttempt({ ...attempt(acked.id, { acknowledged: true, final: false, nextCheckAt: next }), attemptNo: 2 });
    await callbacks.recordAttempt({ ...attempt(failed.id, { acknowledged: false, final: true, nextCheckAt: next }), attemptNo: 2 });
    expect(await orders.findById(acked.id)).toMatchObject({ callbackState: "acked", nextCheckAt: null });
    expect(await orders.findById(failed.id)).toMatchObject({ callbackState: "failed", nextCheckAt: null });
    const later = await overdueIds(new Date(next.getTime() + 1));
    expect(later).not.toContain(acked.id);
    expect(later).not.toContain(failed.id);

    // An administrator's resend opens a new round, due like a first attempt; a round closed without an attempt leaves the list.
    const movedFrom = Date.now();
    const resent = await callbacks.openNewRound(failed.id);
    expect(resent).toMatchObject({ callbackState: "pending", callbackRound: 2 });
    expectRoundDue(resent, movedFrom);
    await callbacks.closeRoundFailed(failed.id, 2);
    expect(await orders.findById(failed.id)).toMatchObject({ callbackState: "failed", nextCheckAt: null });
  });
});

// Last: it moves the id sequence past 10 digits for the orders that follow it in this file.
it("keeps every digit of an id of 11 digits or more in the serial (lpad alone would cut it, and two orders would share a serial)", async () => {
  await db.pool.query("SELECT setval(pg_get_serial_sequence('orders', 'id'), 12345678900)");
  const [a, b] = await Promise.all([newOrder(), newOrder()]);
  const serials = [a, b].map((o) => o.serialNumber);
  for (const order of [a, b]) expect(order.serialNumber).toMatch(new RegExp(`^\\d{8}${order.id}$`));
  expect(a.id.length).toBe(11);
  expect(new Set(serials).size).toBe(2);
});
