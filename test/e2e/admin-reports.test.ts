import { queryRows } from "../support/postgres";
import { ADMIN_TOKEN, startStack, type Stack } from "../support/stack";

// GET /admin/reports/daily: per Shanghai day, operator and channel — orders, face value, income
// (订单收款), channel cost and margin, exact to the fen, as JSON and CSV.
let stack: Stack;
const ids: Record<string, string> = {};

beforeAll(async () => {
  stack = await startStack();
  expect((await stack.admin("PATCH", "/admin/channels/simulator", { costBp: 9500 })).status).toBe(200);
  const operator = await stack.createOperator({ rateBp: 9900 });
  const orders: [string, string, string][] = [["R1", "13800000001", "1000"], ["R2", "13800000003", "2000"], ["R3", "13800000005", "3333"], ["R4", "13800000010", "5000"]];
  for (const [orderNo, phone, faceValue] of orders) {
    await operator.pushOrder(operator.push({ order_no: orderNo, phone_number: phone, face_value: faceValue, notify_url: stack.receiver.url }));
  }
  for (const [orderNo] of orders) await stack.receiver.waitFor(orderNo);
  for (const [orderNo] of orders) ids[orderNo] = (await queryRows(stack.config.databaseUrl, "SELECT id::text FROM orders WHERE order_no = $1", [orderNo]))[0].id;
  // Around a Shanghai midnight: 15:59:59.999 UTC is still 12-05 there, 16:00 UTC is 12-06.
  await queryRows(stack.config.databaseUrl, "UPDATE orders SET finished_at = '2026-12-05T15:59:59.999Z' WHERE id = ANY($1::bigint[])", [[ids.R1, ids.R4]]);
  await queryRows(stack.config.databaseUrl, "UPDATE orders SET finished_at = '2026-12-05T16:00:00Z' WHERE id = ANY($1::bigint[])", [[ids.R2, ids.R3]]);
}, 60_000);
afterAll(() => stack.close());

test("rows per Shanghai day, operator and channel, exact to the fen, with totals", async () => {
  const res = await stack.admin("GET", "/admin/reports/daily?from=2026-12-05&to=2026-12-06");
  expect(res.status).toBe(200);
  const uid = res.body.rows[0].uid;
  expect(res.body.rows).toEqual([
    // R1 (1000: income 990, cost 950) succeeded, R4 failed.
    { day: "2026-12-05", uid, channel: "simulator", orders: 1, failed: 1, faceValue: 1000, income: 990, cost: 950, margin: 40 },
    // R2 2000: 1980 / 1900; R3 3333: floor(3299.67) = 3299 / floor(3166.35) = 3166.
    { day: "2026-12-06", uid, channel: "simulator", orders: 2, failed: 0, faceValue: 5333, income: 5279, cost: 5066, margin: 213 },
  ]);
  expect(res.body.totals).toEqual({ orders: 3, failed: 1, faceValue: 6333, income: 6269, cost: 6016, margin: 253 });
  expect(res.body.timeZone).toBe("Asia/Shanghai");
  // The report agrees with the ledger.
  const ledger = await queryRows(stack.config.databaseUrl, "SELECT sum(income)::int AS s FROM ledger_entries WHERE kind = 'order_income'");
  expect(ledger[0].s).toBe(6269);
});

test("one day alone, and a day with nothing", async () => {
  expect((await stack.admin("GET", "/admin/reports/daily?from=2026-12-05&to=2026-12-05")).body.totals.orders).toBe(1);
  expect((await stack.admin("GET", "/admin/reports/daily?from=2026-01-01&to=2026-01-01")).body).toMatchObject({ rows: [], totals: { orders: 0, margin: 0 } });
});

test("as CSV", async () => {
  const res = await fetch(`${stack.adminUrl}/admin/reports/daily?from=2026-12-05&to=2026-12-06&format=csv`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  const lines = (await res.text()).split("\r\n");
  expect(lines[0]).toBe("day,uid,channel,orders,failed,faceValue,income,cost,margin");
  expect(lines[1]).toMatch(/^2026-12-05,\d+,simulator,1,1,1000,990,950,40$/);
  expect(lines[2]).toMatch(/^2026-12-06,\d+,simulator,2,0,5333,5279,5066,213$/);
  expect(lines[3]).toBe("");
});

test.each(["", "?from=2026-12-05", "?from=2026-12-06&to=2026-12-05", "?from=2026-02-30&to=2026-03-01", "?from=2025-01-01&to=2026-01-02", "?from=2026-12-05&to=2026-12-06&format=xml", "?from=2026-12-05&to=2026-12-06&x=1"])(
  "400 for %s",
  async (query) => {
    const res = await stack.admin("GET", `/admin/reports/daily${query}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  },
);
