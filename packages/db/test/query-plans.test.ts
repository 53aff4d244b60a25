import { OrderStatus } from "@topup/protocol";
import { CallbackRepository, createDatabase, OperatorRepository, OrderRepository, type Database } from "../src";
import { createTestDatabase } from "../../../test/support/test-database";

// The order path's keyed statements are planned once per connection, on whatever the tables hold
// then (empty, or a thousand rows): that plan must reach rows by their keys, or it reads whole
// tables once they have grown (nothing replaces it until an ANALYZE, which never comes with
// autovacuum off). The other named statements are planned at every execution.
const CHANNEL = "plan-sim";

interface Fixture {
  db: Database;
  orders: OrderRepository;
  callbacks: CallbackRepository;
  operatorId: string;
  drop: () => Promise<void>;
}

/** A fresh database with one operator and one channel, and a client of one connection a pool (plan counters and statistics are per connection). */
async function fixture(): Promise<Fixture> {
  const database = await createTestDatabase();
  const db = createDatabase(database.url, { poolMax: 1 });
  const operator = await new OperatorRepository(db).create({
    uid: "plan-op", name: "运营商", md5key: "k".repeat(32), rateBp: 10000, ipWhitelist: [], enabled: true, strictCarrier: false, faceValues: [], rateLimitPerSecond: null,
  });
  await db.pool.query("INSERT INTO channels (code, kind, name) VALUES ($1, 'simulator', '模拟')", [CHANNEL]);
  return { db, orders: new OrderRepository(db), callbacks: new CallbackRepository(db), operatorId: operator.id, drop: database.drop };
}

async function close(f: Fixture): Promise<void> {
  await f.db.close();
  await f.drop();
}

/** Twenty orders taken from 5 to 4 through a channel attempt and called back, each step one shared statement. */
async function orderPath({ orders, callbacks, operatorId }: Fixture, tag: string): Promise<void> {
  const created = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      orders.insert({
        operatorId, orderNo: `${tag}${i}`, orderType: 1, mobileType: 1, phoneNumber: "13812345678",
        faceValue: 1000, settlementRateBp: 10000, notifyUrl: "http://127.0.0.1/cb", clientIp: "127.0.0.1",
      }),
    ),
  );
  const ids = created.map((c) => c.order.id);
  const all = <T>(step: (id: string) => Promise<T>) => Promise.all(ids.map(step));
  const moved = (rows: readonly unknown[]) => expect(rows.every((row) => row !== null)).toBe(true);
  moved(await all((id) => orders.transitionPath(id, OrderStatus.Created, [{ to: OrderStatus.Placing }], { channel: CHANNEL, fromChannel: null, openAttempt: 1, nextCheckAt: new Date() })));
  moved(await all((id) => orders.findWithAttempts(id)));
  moved(await all((id) => orders.transitionPath(id, OrderStatus.Placing, [{ to: OrderStatus.Unpaid }], {
    fromChannel: CHANNEL, nextCheckAt: new Date(), attempt: { channel: CHANNEL, outcome: "placed", answer: "ok", final: false },
  })));
  moved(await all((id) => orders.transitionPath(id, OrderStatus.Unpaid, [{ to: OrderStatus.Paying }, { to: OrderStatus.Succeeded }], {
    fromChannel: CHANNEL, attempt: { channel: CHANNEL, outcome: "succeeded", answer: "ok", final: true },
  })));
  moved(await all((id) => callbacks.loadDelivery(id)));
  await all((id) => callbacks.recordAttempt({
    orderId: id, round: 1, attemptNo: 1, status: 4, startedAt: new Date(), httpStatus: 200, bodyExcerpt: "ok",
    latencyMs: 3, error: null, remoteAddress: "127.0.0.1", acknowledged: true, final: true, nextCheckAt: new Date(),
  }));
}

interface TableReads {
  seq: number;
  index: number;
}

/** What the keyed pool's connection has read of each table so far. */
async function reads({ db }: Fixture): Promise<Map<string, TableReads>> {
  // A backend's counters reach the view when it goes idle.
  await Promise.all([db.keyedPool.query("SELECT pg_stat_force_next_flush()"), db.pool.query("SELECT pg_stat_force_next_flush()")]);
  await db.pool.query("SELECT pg_stat_clear_snapshot()");
  const { rows } = await db.pool.query<{ relname: string; seq_tup_read: string; idx_tup_fetch: string }>(
    "SELECT relname, seq_tup_read, coalesce(idx_tup_fetch, 0) AS idx_tup_fetch FROM pg_stat_user_tables",
  );
  return new Map(rows.map((r) => [r.relname, { seq: Number(r.seq_tup_read), index: Number(r.idx_tup_fetch) }]));
}

/** Finished orders, each with its channel attempt and a history row, added in one statement. */
async function grow({ db, operatorId }: Fixture, tag: string, count: number): Promise<void> {
  await db.pool.query(
    `WITH grown AS (
       INSERT INTO orders (serial_number, operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp, notify_url, status, channel)
       SELECT $3 || g, $1::bigint, $3 || g, 1, 1, '13812345678', 1000, 10000, 'http://127.0.0.1/cb', 4, $2 FROM generate_series(1, $4::int) g
       RETURNING id
     ), attempts AS (
       INSERT INTO channel_attempts (order_id, channel_code, attempt_no, started_at) SELECT id, $2, 1, now() FROM grown
     )
     INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at) SELECT id, 5, 4, 'grown', now() FROM grown`,
    [operatorId, CHANNEL, tag, count],
  );
}

/** Runs the order path on tables grown by 20,000 orders and expects it to have read only what it needed. */
async function expectKeyedReadsAfterGrowth(f: Fixture): Promise<void> {
  await grow(f, "G", 20_000);
  const before = await reads(f);
  await orderPath(f, "L");
  const after = await reads(f);
  for (const table of ["orders", "channel_attempts", "order_transitions", "callback_attempts", "accounts", "operators", "channels", "channel_slots"]) {
    const read = { seq: after.get(table)!.seq - before.get(table)!.seq, index: after.get(table)!.index - before.get(table)!.index };
    // 20 orders, each read a few times by key: hundreds of rows at most, against 20,000 in a scan.
    expect({ table, ...read, index: read.index < 1_000 }).toEqual({ table, seq: 0, index: true });
  }
}

let empty: Fixture;
beforeAll(async () => {
  empty = await fixture();
});
afterAll(() => close(empty));

it("plans each keyed statement once, while the tables are small, and that plan still reads only the rows it needs once they are large", async () => {
  await orderPath(empty, "S"); // the plans are made here, on nearly empty tables
  await expectKeyedReadsAfterGrowth(empty);

  const { rows } = await empty.db.keyedPool.query<{ name: string; generic_plans: string; custom_plans: string }>(
    "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY name",
  );
  expect(rows.map((r) => r.name)).toEqual(["callback_load_delivery", "callback_record_attempt", "order_insert", "order_transition", "orders_with_attempts"]);
  for (const row of rows) expect({ name: row.name, custom: row.custom_plans, generic: Number(row.generic_plans) > 0 }).toEqual({ name: row.name, custom: "0", generic: true });
});

// A pool opens connections as load grows, so some plan on tables that already hold orders. At a
// thousand attempts, joining `channels` into the attempt update once gave a plan that looked up
// attempts by channel alone: it read the whole index for every order.
it("keeps reading by key with plans made by a connection opened once the tables hold a thousand orders", async () => {
  const grown = await fixture();
  try {
    await grow(grown, "K", 1_000);
    await orderPath(grown, "S");
    await expectKeyedReadsAfterGrowth(grown);
  } finally {
    await close(grown);
  }
});

it("plans the pool's named statements for the values of each execution", async () => {
  await empty.orders.findByOrderNo(empty.operatorId, "S1");
  await empty.orders.findByOrderNo(empty.operatorId, "L1");
  const { rows } = await empty.db.pool.query<{ generic_plans: string; custom_plans: string }>(
    "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'order_by_order_no'",
  );
  expect(rows).toEqual([{ generic_plans: "0", custom_plans: "2" }]);
});
