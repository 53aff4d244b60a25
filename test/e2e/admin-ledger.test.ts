import { Client } from "pg";
import type { OperatorClient } from "../support/operator-client";
import { ADMIN_TOKEN, startStack, type Stack } from "../support/stack";

// Issue 19: the ledger with its running balance in cursor pages, statements per Asia/Shanghai day
// (JSON and CSV), and the audit log's search.
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(() => stack.close());

async function sql(text: string, values: unknown[] = []): Promise<any[]> {
  const client = new Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

const get = (path: string, actor?: string) =>
  fetch(`${stack.adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(actor ? { "x-admin-actor": actor } : {}) } });

async function adjust(op: OperatorClient, body: Record<string, unknown>, actor?: string): Promise<any> {
  const res = await fetch(`${stack.adminUrl}/admin/operators/${op.uid}/adjustments`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", ...(actor ? { "x-admin-actor": actor } : {}) },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  return res.json();
}

describe("GET /admin/operators/:uid/ledger", () => {
  it("pages newest first by X-Next-Cursor, each entry with the running balance after it", async () => {
    const op = await stack.createOperator();
    const amounts = [{ income: 100_000 }, { expenditure: 2_345 }, { income: 1 }, { expenditure: 99_999 }, { income: 777 }];
    for (const [i, amount] of amounts.entries()) await adjust(op, { ...amount, record: `调整${i}` });
    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(`/admin/operators/${op.uid}/ledger?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as any[];
      expect(Array.isArray(page)).toBe(true);
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page);
      cursor = res.headers.get("x-next-cursor");
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((e) => e.record)).toEqual(["调整4", "调整3", "调整2", "调整1", "调整0"]);
    let running = 0;
    for (const entry of [...seen].reverse()) {
      running += entry.income - entry.expenditure;
      expect(entry.balanceAfter).toBe(running);
    }
    expect(running).toBe(100_000 - 2_345 + 1 - 99_999 + 777);
    // Without parameters: the whole (short) list as before, no cursor.
    const all = await get(`/admin/operators/${op.uid}/ledger`);
    expect(((await all.json()) as any[]).map((e) => e.record)).toEqual(seen.map((e) => e.record));
    expect(all.headers.get("x-next-cursor")).toBeNull();
  });

  // The last: a cursor forged past BIGINT ("l:9999999999999999999").
  it.each(["?limit=0", "?limit=501", "?limit=x", "?cursor=bm9wZQ", "?before=1", "?cursor=bDo5OTk5OTk5OTk5OTk5OTk5OTk5"])("400 for %s", async (query) => {
    const op = await stack.createOperator();
    const res = await stack.admin("GET", `/admin/operators/${op.uid}/ledger${query}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });

  it("404 for an unknown operator", async () => {
    expect((await stack.admin("GET", "/admin/operators/nobody/ledger")).status).toBe(404);
  });
});

describe("GET /admin/operators/:uid/statement", () => {
  let op: OperatorClient;
  // Shanghai is UTC+8 all year: its midnight of 2026-12-02 is 2026-12-01T16:00:00Z.
  const placed: [Record<string, unknown>, string][] = [
    [{ income: 10_000 }, "2026-11-30T10:00:00+08:00"], // before the range: the opening
    [{ income: 2_345 }, "2026-12-01T23:59:59.999+08:00"], // the last instant of 12-01
    [{ expenditure: 1_001 }, "2026-12-02T00:00:00.000+08:00"], // the first of 12-02
    [{ income: 7 }, "2026-12-03T12:00:00+08:00"],
    [{ expenditure: 3 }, "2026-12-03T23:59:59.999+08:00"],
    [{ expenditure: 50 }, "2026-12-04T00:00:00+08:00"], // after the range
  ];

  beforeAll(async () => {
    op = await stack.createOperator();
    for (const [amount, at] of placed) {
      const entry = await adjust(op, { ...amount, record: at });
      await sql("UPDATE ledger_entries SET created_at = $2 WHERE id = $1", [entry.id, new Date(at)]);
    }
  });

  it("per Shanghai day: opening, entries, closing; exact to the fen", async () => {
    const res = await stack.admin("GET", `/admin/operators/${op.uid}/statement?from=2026-12-01&to=2026-12-03`);
    expect(res.status).toBe(200);
    const s = res.body;
    expect(s).toMatchObject({ uid: op.uid, from: "2026-12-01", to: "2026-12-03", timeZone: "Asia/Shanghai", opening: 10_000, income: 2_352, expenditure: 1_004, closing: 11_348 });
    expect(s.days.map((d: any) => [d.day, d.opening, d.income, d.expenditure, d.closing, d.entries.map((e: any) => e.record)])).toEqual([
      ["2026-12-01", 10_000, 2_345, 0, 12_345, ["2026-12-01T23:59:59.999+08:00"]],
      ["2026-12-02", 12_345, 0, 1_001, 11_344, ["2026-12-02T00:00:00.000+08:00"]],
      ["2026-12-03", 11_344, 7, 3, 11_348, ["2026-12-03T12:00:00+08:00", "2026-12-03T23:59:59.999+08:00"]],
    ]);
    let previous = s.opening;
    for (const day of s.days) {
      expect(day.opening).toBe(previous);
      const income = day.entries.reduce((n: number, e: any) => n + e.income, 0);
      const expenditure = day.entries.reduce((n: number, e: any) => n + e.expenditure, 0);
      expect(day.opening + income - expenditure).toBe(day.closing);
      if (day.entries.length > 0) expect(day.entries.at(-1).balanceAfter).toBe(day.closing);
      previous = day.closing;
    }
    // A day without entries opens and closes alike; a range after every entry opens at the balance.
    const quiet = (await stack.admin("GET", `/admin/operators/${op.uid}/statement?from=2026-12-05&to=2026-12-05`)).body;
    expect(quiet).toMatchObject({ opening: 11_298, closing: 11_298, days: [{ day: "2026-12-05", opening: 11_298, closing: 11_298, entries: [] }] });
  });

  it("as CSV, with format=csv or the .csv route: an opening line, the entries and a closing line per day", async () => {
    for (const path of [`/admin/operators/${op.uid}/statement?from=2026-12-01&to=2026-12-02&format=csv`, `/admin/operators/${op.uid}/statement.csv?from=2026-12-01&to=2026-12-02`]) {
      const res = await get(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      const lines = (await res.text()).split("\r\n");
      expect(lines.pop()).toBe("");
      expect(lines[0]).toBe("day,line,entryId,createdAt,kind,record,orderId,payMoney,income,expenditure,balance");
      const rows = lines.slice(1).map((line) => line.split(","));
      expect(rows.map((r) => [r[0], r[1], r[4], r[8], r[9], r[10]])).toEqual([
        ["2026-12-01", "opening", "", "", "", "10000"],
        ["2026-12-01", "entry", "manual", "2345", "0", "12345"],
        ["2026-12-01", "closing", "", "2345", "0", "12345"],
        ["2026-12-02", "opening", "", "", "", "12345"],
        ["2026-12-02", "entry", "manual", "0", "1001", "11344"],
        ["2026-12-02", "closing", "", "0", "1001", "11344"],
      ]);
      expect(rows[1][3]).toBe("2026-12-01T15:59:59.999Z");
    }
  });

  it.each([
    "",
    "?from=2026-12-01",
    "?from=2026-12-03&to=2026-12-01",
    "?from=2026-02-30&to=2026-03-01",
    "?from=2025-01-01&to=2026-12-31",
    "?from=2026-12-01&to=2026-12-02&format=xml",
    "?from=2026-12-01&to=2026-12-02&colour=red",
  ])("400 for %s, as JSON on both routes", async (query) => {
    for (const route of ["statement", "statement.csv"]) {
      const res = await stack.admin("GET", `/admin/operators/${op.uid}/${route}${query}`);
      expect(res.status).toBe(400);
      expect(typeof res.body.error).toBe("string");
    }
  });

  it("a long statement: JSON refuses it clearly, the CSV streams it page by page, adding up to the fen", async () => {
    const big = await stack.createOperator();
    const [{ id: accountId }] = await sql("SELECT a.id FROM accounts a JOIN operators o ON o.id = a.operator_id WHERE o.uid = $1", [big.uid]);
    // 10 001 entries on 2026-11-10 (Shanghai), income g fen each, balances as the ledger would keep them.
    await sql(
      `INSERT INTO ledger_entries (account_id, kind, record, income, balance_after, created_at)
       SELECT $1::bigint, 'manual', 'bulk', g, g * (g + 1) / 2, timestamptz '2026-11-10 00:00:00+08' + (g * 8 || ' seconds')::interval
       FROM generate_series(1, 10001) g`,
      [accountId],
    );
    const total = (10_001 * 10_002) / 2;
    await sql("UPDATE accounts SET balance = $2 WHERE id = $1", [accountId, total]);
    const json = await stack.admin("GET", `/admin/operators/${big.uid}/statement?from=2026-11-10&to=2026-11-10`);
    expect(json.status).toBe(400);
    expect(json.body.error).toMatch(/10001 entries.*format=csv/);
    const res = await get(`/admin/operators/${big.uid}/statement.csv?from=2026-11-09&to=2026-11-11`);
    expect(res.status).toBe(200);
    const rows = (await res.text()).split("\r\n").filter(Boolean).slice(1).map((line) => line.split(","));
    expect(rows).toHaveLength(3 * 2 + 10_001); // an opening and a closing line per day, and the entries
    const entries = rows.filter((r) => r[1] === "entry");
    expect(entries.map((r) => Number(r[8]))).toEqual(Array.from({ length: 10_001 }, (_, i) => i + 1));
    const closing = rows.filter((r) => r[1] === "closing").map((r) => Number(r[10]));
    expect(closing).toEqual([0, total, total]);
  }, 30_000);

  it("lists only the entries of the totals' snapshot (an entry posted meanwhile waits for the next statement)", async () => {
    const late = await stack.createOperator();
    const account = (await stack.admin("GET", `/admin/operators/${late.uid}`)).body.accountId;
    const first = await adjust(late, { income: 5, record: "before" });
    const ledger = stack.ingress.platform.ledger;
    const day = first.createdAt.slice(0, 10); // an hour's difference from Shanghai cannot matter: the range is three days
    const from = new Date(Date.parse(day) - 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.parse(day) + 86_400_000).toISOString().slice(0, 10);
    const totals = await ledger.statementDays(account, from, to);
    await adjust(late, { income: 7, record: "meanwhile" });
    const listed = [];
    for await (const entry of ledger.statementEntries(account, from, to, totals.lastId)) listed.push(entry.record);
    expect(listed).toEqual(["before"]);
    expect(totals.days.reduce((n, d) => n + d.income, 0)).toBe(5);
    const now = (await stack.admin("GET", `/admin/operators/${late.uid}/statement?from=${from}&to=${to}`)).body;
    expect(now.days.flatMap((d: any) => d.entries.map((e: any) => e.record))).toEqual(["before", "meanwhile"]);
    expect(now.closing).toBe(12);
  });

  it("says why a range is refused", async () => {
    const res = await stack.admin("GET", `/admin/operators/${op.uid}/statement?from=2025-01-01&to=2026-12-31`);
    expect(res.body.error).toBe("a statement covers at most 366 days");
  });

  it("404 for an unknown operator", async () => {
    expect((await stack.admin("GET", "/admin/operators/nobody/statement?from=2026-12-01&to=2026-12-02")).status).toBe(404);
    expect((await stack.admin("GET", "/admin/operators/nobody/statement.csv?from=2026-12-01&to=2026-12-02")).status).toBe(404);
  });
});

describe("GET /admin/audit", () => {
  it("filters by actor, entity and time, newest first, in cursor pages, with no secret in any row", async () => {
    const created = await fetch(`${stack.adminUrl}/admin/operators`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json", "x-admin-actor": "dora" },
      body: JSON.stringify({ name: "审计" }),
    });
    const op = (await created.json()) as { uid: string; md5key: string };
    // `start` lies strictly between the create and the adjustments, whatever the clock's resolution.
    await new Promise((resolve) => setTimeout(resolve, 10));
    const start = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 10));
    const client = { uid: op.uid } as OperatorClient;
    for (let i = 0; i < 3; i++) await adjust(client, { income: 10 + i, record: `审计${i}` }, "dora");
    const rotated = await fetch(`${stack.adminUrl}/admin/operators/${op.uid}/rotate-key`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "x-admin-actor": "dora", "content-type": "application/json" },
      body: JSON.stringify({ graceSeconds: 60 }),
    });
    const newKey = ((await rotated.json()) as { md5key: string }).md5key;

    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res = await stack.admin("GET", `/admin/audit?actor=admin:dora&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(items.map((r) => r.action)).toEqual(["operator.rotate-key", "ledger.adjust", "ledger.adjust", "ledger.adjust", "operator.create"]);
    expect(items.map((r) => Number(r.id))).toEqual(items.map((r) => Number(r.id)).sort((a, b) => b - a));
    for (const row of items) expect(row).toMatchObject({ actor: "admin:dora", targetId: op.uid, entity: `${row.targetType}:${op.uid}` });
    expect(JSON.stringify(items)).not.toContain(op.md5key);
    expect(JSON.stringify(items)).not.toContain(newKey);

    const entity = (await stack.admin("GET", `/admin/audit?entity=operator:${op.uid}`)).body.items;
    expect(entity.map((r: any) => r.action)).toEqual(["operator.rotate-key", "operator.create"]);
    const ledger = (await stack.admin("GET", `/admin/audit?entity=ledger&actor=admin:dora`)).body.items;
    expect(ledger.map((r: any) => r.after.record)).toEqual(["审计2", "审计1", "审计0"]);
    const since = (await stack.admin("GET", `/admin/audit?actor=admin:dora&from=${encodeURIComponent(start)}`)).body.items;
    expect(since.map((r: any) => r.action)).toEqual(["operator.rotate-key", "ledger.adjust", "ledger.adjust", "ledger.adjust"]);
    const until = (await stack.admin("GET", `/admin/audit?actor=admin:dora&to=${encodeURIComponent(start)}`)).body.items;
    expect(until.map((r: any) => r.action)).toEqual(["operator.create"]);
    expect((await stack.admin("GET", "/admin/audit?actor=admin:nobody")).body).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    "?limit=0",
    "?limit=501",
    "?cursor=bm9wZQ",
    "?entity=Operator!",
    "?actor=a%20b",
    "?from=yesterday",
    "?from=2026-12-06T10:00:00Z&to=2026-12-06T09:00:00Z",
    "?colour=red",
    "?cursor=YTo5OTk5OTk5OTk5OTk5OTk5OTk5", // "a:9999999999999999999", past BIGINT
  ])("400 for %s", async (query) => {
    const res = await stack.admin("GET", `/admin/audit${query}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });
});
