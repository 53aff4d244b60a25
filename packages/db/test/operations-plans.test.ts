import { AuditRepository, CallbackRepository, createDatabase, LedgerRepository, OperatorRepository, type Database } from "../src";
import { createTestDatabase } from "../../../test/support/test-database";

// Issue 19's admin reads (statements, failed callbacks, the audit log) are index scans on tables
// grown large: each reads the index the operations migration made for it, and never a whole table.
let drop: () => Promise<void>;
let db: Database;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = createDatabase(database.url, { poolMax: 1 }); // one connection: its statistics counters are read back
});
afterAll(async () => {
  await db.close();
  await drop();
});

async function counters(): Promise<{ seq: Map<string, number>; idx: Map<string, number> }> {
  await db.pool.query("SELECT pg_stat_force_next_flush()");
  const tables = await db.pool.query<{ relname: string; seq_scan: string }>("SELECT relname, seq_scan FROM pg_stat_user_tables");
  const indexes = await db.pool.query<{ indexrelname: string; idx_scan: string }>("SELECT indexrelname, idx_scan FROM pg_stat_user_indexes");
  return {
    seq: new Map(tables.rows.map((r) => [r.relname, Number(r.seq_scan)])),
    idx: new Map(indexes.rows.map((r) => [r.indexrelname, Number(r.idx_scan)])),
  };
}

/** Runs `read` and checks that it scanned `index` and no table of `tables` sequentially. */
async function expectIndexRead(read: () => Promise<unknown>, index: string, tables: string[]): Promise<void> {
  const before = await counters();
  await read();
  const after = await counters();
  for (const table of tables) expect([table, (after.seq.get(table) ?? 0) - (before.seq.get(table) ?? 0)]).toEqual([table, 0]);
  expect((after.idx.get(index) ?? 0) - (before.idx.get(index) ?? 0)).toBeGreaterThan(0);
}

it("statements, failed callbacks and audit searches read their indexes", async () => {
  const operators = new OperatorRepository(db);
  const op = await operators.create({
    uid: "ops-plan", name: "运营商", md5key: "k".repeat(32), rateBp: 10000, ipWhitelist: [], enabled: true, strictCarrier: false, faceValues: [], rateLimitPerSecond: null,
  });
  // 50 000 orders, 20 of them with a failed callback; 50 000 ledger entries over 200 days; 20 000 audit rows, 40 of them by one rare actor.
  await db.pool.query(
    `INSERT INTO orders (serial_number, operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp, notify_url,
                         status, callback_state, finished_at)
     SELECT 'S' || g, $1::bigint, 'S' || g, 1, 1, '13812345678', 1000, 10000, 'http://127.0.0.1/cb', 4,
            CASE WHEN g % 2500 = 0 THEN 'failed' ELSE 'acked' END, now() - (g || ' seconds')::interval
     FROM generate_series(1, 50000) g`,
    [op.id],
  );
  await db.pool.query(
    `INSERT INTO ledger_entries (account_id, kind, record, income, balance_after, created_at)
     SELECT $1::bigint, 'manual', 'x', 1, g, timestamptz '2026-06-01 00:00:00+08' + (g * 345.6 || ' seconds')::interval
     FROM generate_series(1, 50000) g`,
    [op.accountId],
  );
  await db.pool.query(`UPDATE accounts SET balance = 50000 WHERE id = $1::bigint`, [op.accountId]);
  await db.pool.query(
    `INSERT INTO audit_log (actor, action, target_type, target_id, created_at)
     SELECT CASE WHEN g % 500 = 0 THEN 'admin:rare' ELSE 'admin' END, 'operator.update', 'operator', 'u' || (g % 300), now() - (g || ' minutes')::interval FROM generate_series(1, 20000) g`,
  );
  await db.pool.query("ANALYZE orders, ledger_entries, audit_log");

  const ledger = new LedgerRepository(db);
  await expectIndexRead(() => ledger.statementDays(op.accountId, "2026-12-01", "2026-12-07"), "ledger_entries_account_id_created_at_idx", ["ledger_entries"]);
  const entries = async () => {
    const all = [];
    for await (const entry of ledger.statementEntries(op.accountId, "2026-12-01", "2026-12-02", "9223372036854775807")) all.push(entry);
    expect(all.length).toBeGreaterThan(0);
  };
  await expectIndexRead(entries, "ledger_entries_account_id_created_at_idx", ["ledger_entries"]);

  const callbacks = new CallbackRepository(db);
  await expectIndexRead(async () => expect(await callbacks.failedPage(null, null, 50)).toHaveLength(20), "orders_callback_failed_idx", ["orders"]);
  await expectIndexRead(async () => expect(await callbacks.failedPage(op.id, null, 5)).toHaveLength(5), "orders_callback_failed_idx", ["orders"]);
  await expectIndexRead(
    async () => expect(await callbacks.failedSince(op.id, new Date(Date.now() - 86_400_000), null, 500)).toHaveLength(20),
    "orders_callback_failed_idx",
    ["orders"],
  );

  const audit = new AuditRepository(db);
  await expectIndexRead(async () => expect(await audit.search({ actor: "admin:rare" }, 50, null)).toHaveLength(40), "audit_log_actor_id_idx", ["audit_log"]);
  // Far back: newest first by id would read every row after it first.
  const longAgo = new Date(Date.now() - 19_000 * 60_000);
  await expectIndexRead(async () => expect(await audit.search({ from: new Date(longAgo.getTime() - 600_000), to: longAgo }, 50, null)).toHaveLength(10), "audit_log_created_at_idx", ["audit_log"]);
  await expectIndexRead(async () => expect((await audit.search({ targetType: "operator", targetId: "u7" }, 50, null)).length).toBeGreaterThan(0), "audit_log_target_type_target_id_idx", ["audit_log"]);
}, 60_000);
