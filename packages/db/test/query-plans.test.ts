import { CallbackRepository, createDatabase, OperatorRepository, OrderRepository, type Database } from "../src";
import { createTestDatabase } from "../../../test/support/test-database";

// The order path's named statements must be planned for the tables as they are when they run. A
// generic plan cached while `orders` was small scans it sequentially, and nothing replaces it until
// an ANALYZE (autovacuum off, or not yet due): a batched lookup then reads the whole table.
let drop: () => Promise<void>;
let db: Database;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = createDatabase(database.url, { poolMax: 1 }); // one connection: the statements' plan counters are per connection
});
afterAll(async () => {
  await db.close();
  await drop();
});

interface PlanCounts {
  generic_plans: string;
  custom_plans: string;
}

it("plans every execution of a batched statement afresh, so a table that grew is read by its index", async () => {
  const operator = await new OperatorRepository(db).create({
    uid: "plan-op", name: "运营商", md5key: "k".repeat(32), rateBp: 10000, ipWhitelist: [], enabled: true, strictCarrier: false, faceValues: [], rateLimitPerSecond: null,
  });
  const orders = new OrderRepository(db);
  const ids = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const { order } = await orders.insert({
        operatorId: operator.id, orderNo: `P${i}`, orderType: 1, mobileType: 1, phoneNumber: "13812345678",
        faceValue: 1000, settlementRateBp: 10000, notifyUrl: "http://127.0.0.1/cb", clientIp: "127.0.0.1",
      });
      return order.id;
    }),
  );
  const callbacks = new CallbackRepository(db);
  // Loaded in one turn, the 20 share one statement, as under load.
  const loadAll = async () => expect((await Promise.all(ids.map((id) => callbacks.loadDelivery(id)))).map((d) => d?.order.id)).toEqual(ids);
  // PostgreSQL switches a prepared statement to its generic plan after five custom ones.
  for (let i = 0; i < 8; i++) await loadAll();
  await db.pool.query(
    `INSERT INTO orders (serial_number, operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp, notify_url)
     SELECT 'G' || g, $1::bigint, 'G' || g, 1, 1, '13812345678', 1000, 10000, 'http://127.0.0.1/cb' FROM generate_series(1, 20000) g`,
    [operator.id],
  );
  const seqScans = async () => {
    await db.pool.query("SELECT pg_stat_force_next_flush()"); // this backend's counters, flushed when it goes idle
    const { rows } = await db.pool.query<{ seq_scan: string }>("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'orders'");
    return Number(rows[0].seq_scan);
  };
  const before = await seqScans();
  for (let i = 0; i < 3; i++) await loadAll();
  expect((await seqScans()) - before).toBe(0);

  const { rows } = await db.pool.query<PlanCounts>(
    "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = 'callback_load_delivery'",
  );
  expect(rows).toEqual([{ generic_plans: "0", custom_plans: "11" }]);
});
