import { Client } from "pg";
import type { OperatorClient } from "../support/operator-client";
import { eventually, startStack, type Stack } from "../support/stack";

// Issue 19, callbacks: the unacknowledged list, and the bulk resend of an operator's failed callbacks
// (bounded per call, resumable by cursor, one audit row per call), and the order detail's history.
let stack: Stack;
let busy: OperatorClient; // its receiver refuses callbacks until told otherwise
let other: OperatorClient;
const refusing = new Set<string>();
const busyOrders: string[] = [];
let startedAt: string;

async function sql(text: string, values: unknown[] = []): Promise<any[]> {
  const client = new Client({ connectionString: stack.config.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

const failedOf = async (uid: string) => (await stack.admin("GET", `/admin/orders?uid=${uid}&callbackState=failed&limit=500`)).body.items;

beforeAll(async () => {
  stack = await startStack({ config: { callbackBackoffMs: 20 } });
  busy = await stack.createOperator({ name: "回调失败" });
  other = await stack.createOperator({ name: "其他" });
  refusing.add(busy.uid).add(other.uid);
  stack.receiver.respond = (cb, res) => {
    res.statusCode = refusing.has(cb.fields.uid) ? 500 : 200;
    res.end(refusing.has(cb.fields.uid) ? "busy" : "ok");
  };
  startedAt = new Date(Date.now() - 1000).toISOString();
  for (let i = 0; i < 7; i++) {
    const orderNo = `CB${i}`;
    expect((await busy.pushOrder(busy.push({ order_no: orderNo, notify_url: stack.receiver.url }))).json.code).toBe("200");
    busyOrders.push(orderNo);
  }
  expect((await other.pushOrder(other.push({ order_no: "OTHER", notify_url: stack.receiver.url }))).json.code).toBe("200");
  await eventually(async () => ((await failedOf(busy.uid)).length === 7 && (await failedOf(other.uid)).length === 1 ? true : undefined), 30_000, 100);
}, 40_000);
afterAll(() => stack.close());

describe("GET /admin/callbacks/unacknowledged", () => {
  it("pages through every order whose callback failed, newest first, neither repeating nor skipping", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await stack.admin("GET", `/admin/callbacks/unacknowledged?uid=${busy.uid}&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(3);
      for (const item of res.body.items) expect(item).toMatchObject({ callbackState: "failed", status: 4, callbackRound: 1 });
      seen.push(...res.body.items.map((o: any) => o.orderNo));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...busyOrders].reverse());
    const all = await stack.admin("GET", "/admin/callbacks/unacknowledged");
    expect(all.body.items.map((o: any) => o.orderNo)).toEqual(["OTHER", ...[...busyOrders].reverse()]);
    expect(all.body.nextCursor).toBeNull();
  });

  // The last: a cursor forged past BIGINT ("u:9999999999999999999").
  it.each(["?limit=0", "?limit=501", "?cursor=bm9wZQ", "?uid=bad%20uid", "?colour=red", "?limit=2&limit=3", "?cursor=dTo5OTk5OTk5OTk5OTk5OTk5OTk5"])("400 for %s", async (query) => {
    const res = await stack.admin("GET", `/admin/callbacks/unacknowledged${query}`);
    expect(res.status).toBe(400);
    expect(typeof res.body.error).toBe("string");
  });

  it("404 for an unknown operator", async () => {
    expect((await stack.admin("GET", "/admin/callbacks/unacknowledged?uid=nobody")).status).toBe(404);
  });
});

describe("POST /admin/operators/:uid/resend-callbacks", () => {
  it.each([
    [{}, /since is required/],
    [{ since: "yesterday" }, /since/],
    [{ since: "2026-12-06T00:00:00" }, /since/],
    [{ since: "2026-12-06T00:00:00Z", limit: 0 }, /limit must be an integer from 1 to 5000/],
    [{ since: "2026-12-06T00:00:00Z", limit: 5001 }, /limit/],
    [{ since: "2026-12-06T00:00:00Z", cursor: "bm9wZQ" }, /cursor/],
    [{ since: "2026-12-06T00:00:00Z", cursor: "cjo5OTk5OTk5OTk5OTk5OTk5OTk5" }, /cursor/], // "r:9999999999999999999", past BIGINT
    [{ since: "2026-12-06T00:00:00Z", all: true }, /unknown field all/],
  ])("answers 400 for %j and sends nothing", async (body, error) => {
    const res = await stack.admin("POST", `/admin/operators/${busy.uid}/resend-callbacks`, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(error);
    expect(await failedOf(busy.uid)).toHaveLength(7);
  });

  it("answers 404 for an unknown operator", async () => {
    expect((await stack.admin("POST", "/admin/operators/nobody/resend-callbacks", { since: startedAt })).status).toBe(404);
  });

  it("sends nothing for a since after every failure", async () => {
    const res = await stack.admin("POST", `/admin/operators/${busy.uid}/resend-callbacks`, { since: new Date(Date.now() + 60_000).toISOString() });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ looked: 0, resent: 0, nextCursor: null });
  });

  it("re-sends at most limit per call, goes on from the cursor, touches no other operator, one audit row per call", async () => {
    refusing.delete(busy.uid);
    const auditBefore = (await sql("SELECT count(*)::int AS n FROM audit_log WHERE action = 'operator.resend-callbacks'"))[0].n;
    const calls: any[] = [];
    let cursor: string | undefined;
    do {
      const res = await stack.admin("POST", `/admin/operators/${busy.uid}/resend-callbacks`, { since: startedAt, limit: 3, ...(cursor ? { cursor } : {}) });
      expect(res.status).toBe(202);
      calls.push(res.body);
      cursor = res.body.nextCursor ?? undefined;
    } while (cursor && calls.length < 10);
    expect(calls.map((c) => c.resent)).toEqual([3, 3, 1]);
    expect(calls.map((c) => c.nextCursor === null)).toEqual([false, false, true]);

    for (const orderNo of busyOrders) await stack.receiver.waitFor(orderNo, 4, 20_000); // 3 refused, then the resend
    await eventually(async () => ((await failedOf(busy.uid)).length === 0 ? true : undefined), 20_000, 100);
    expect((await stack.admin("GET", `/admin/callbacks/unacknowledged?uid=${busy.uid}`)).body.items).toEqual([]);
    expect(await failedOf(other.uid)).toHaveLength(1);
    expect(stack.receiver.for("OTHER")).toHaveLength(3);

    const audit = await sql("SELECT actor, target_type, target_id, after FROM audit_log WHERE action = 'operator.resend-callbacks' ORDER BY id");
    expect(audit.length - auditBefore).toBe(3);
    const mine = audit.slice(auditBefore);
    expect(mine.map((row) => row.after.resent)).toEqual([3, 3, 1]);
    for (const row of mine) expect(row).toMatchObject({ actor: "admin", target_type: "operator", target_id: busy.uid });
    expect(new Set(mine.flatMap((row) => row.after.orderIds)).size).toBe(7);

    // Acknowledged now: nothing is left to send again.
    const again = await stack.admin("POST", `/admin/operators/${busy.uid}/resend-callbacks`, { since: startedAt });
    expect(again.body).toMatchObject({ resent: 0, nextCursor: null });
  }, 60_000);
});

test("GET /admin/orders refuses a cursor forged past BIGINT (400, not a failed statement)", async () => {
  const res = await stack.admin("GET", "/admin/orders?cursor=bzo5OTk5OTk5OTk5OTk5OTk5OTk5");
  expect(res.status).toBe(400);
  expect(res.body.error).toBe("cursor is not one this API gave");
});

describe("GET /admin/orders/:id", () => {
  it("has the status history, channel attempts and every callback attempt of every round", async () => {
    const inner = JSON.parse((await busy.queryOrder(busyOrders[0])).json.data as string);
    const detail = (await stack.admin("GET", `/admin/orders/${inner.data.id}`)).body;
    expect(detail.transitions.map((t: any) => [t.from, t.to])).toEqual([[null, 5], [5, 6], [6, 0], [0, 2], [2, 4]]);
    expect(detail.channelAttempts).toEqual([expect.objectContaining({ channelCode: "simulator", attemptNo: 1, outcome: "succeeded" })]);
    expect(detail.callbackAttempts.map((a: any) => [a.round, a.attemptNo, a.httpStatus, a.acknowledged, a.bodyExcerpt])).toEqual([
      [1, 1, 500, false, "busy"],
      [1, 2, 500, false, "busy"],
      [1, 3, 500, false, "busy"],
      [2, 1, 200, true, "ok"],
    ]);
    expect(detail).toMatchObject({ callbackState: "acked", callbackRound: 2 });
    expect((await stack.admin("GET", "/admin/orders/999999999")).status).toBe(404);
    expect((await stack.admin("GET", "/admin/orders/abc")).status).toBe(404);
  });
});
