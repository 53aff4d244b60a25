import type { OperatorClient } from "../support/operator-client";
import { ADMIN_TOKEN, eventually, startStack, type Stack } from "../support/stack";

// GET /admin/orders and GET /admin/orders/export.csv (PROTOCOL §11): every filter, newest first,
// cursor pages that neither repeat nor skip while new orders arrive, and a streamed CSV.
let stack: Stack;
let alice: OperatorClient;
let bob: OperatorClient;
const pushed: { orderNo: string; uid: string; phone: string }[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: false });
  alice = await stack.createOperator({ name: "alice" });
  bob = await stack.createOperator({ name: "bob" });
  for (let i = 0; i < 30; i++) {
    const client = i % 3 === 0 ? bob : alice;
    const phone = `1390000${String(i).padStart(4, "0")}`;
    const orderNo = `Q${i}`;
    const answer = await client.pushOrder(client.push({ order_no: orderNo, phone_number: phone, notify_url: stack.receiver.url }));
    expect(answer.json.code).toBe("200");
    pushed.push({ orderNo, uid: client.uid, phone });
  }
});
afterAll(() => stack.close());

const list = async (query: string) => stack.admin("GET", `/admin/orders${query}`);

test("newest first, 50 at most by default, every field of the order", async () => {
  const res = await list("");
  expect(res.status).toBe(200);
  expect(res.body.items.map((o: any) => o.orderNo)).toEqual(pushed.map((p) => p.orderNo).reverse());
  expect(res.body.nextCursor).toBeNull();
  expect(res.body.items[0]).toMatchObject({ orderNo: "Q29", status: 5, statusName: "订单生成", phoneNumber: "13900000029", faceValue: 1000, callbackState: "none" });
});

test.each([
  ["uid", () => `uid=${bob.uid}`, (p: (typeof pushed)[number]) => p.uid === bob.uid],
  ["orderNo", () => `orderNo=Q7`, (p: (typeof pushed)[number]) => p.orderNo === "Q7"],
  ["phone", () => `phone=13900000012`, (p: (typeof pushed)[number]) => p.phone === "13900000012"],
  ["status", () => `status=5`, () => true],
  ["callbackState", () => `callbackState=none`, () => true],
])("filters by %s", async (_name, query, expected) => {
  const res = await list(`?${query()}`);
  expect(res.status).toBe(200);
  expect(res.body.items.map((o: any) => o.orderNo).sort()).toEqual(pushed.filter(expected).map((p) => p.orderNo).sort());
});

test("filters that match nothing, and the serial number and time range", async () => {
  expect((await list("?status=4")).body.items).toEqual([]);
  expect((await list("?channel=simulator")).body.items).toEqual([]);
  const q5 = (await list("?orderNo=Q5")).body.items[0];
  expect((await list(`?serialNumber=${q5.serialNumber}`)).body.items.map((o: any) => o.orderNo)).toEqual(["Q5"]);
  const after = encodeURIComponent(new Date(new Date(q5.createdAt).getTime() + 1).toISOString());
  const before = encodeURIComponent(q5.createdAt);
  const older = (await list(`?to=${before}&limit=500`)).body.items.map((o: any) => o.orderNo);
  const newer = (await list(`?from=${after}&limit=500`)).body.items.map((o: any) => o.orderNo);
  expect(older).not.toContain("Q5");
  expect(newer).not.toContain("Q5");
  expect((await list(`?from=${before}&to=${after}`)).body.items.map((o: any) => o.orderNo)).toContain("Q5");
});

test("cursor pages neither repeat nor skip an order while new ones arrive", async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  let page = 0;
  do {
    const res = await list(`?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeLessThanOrEqual(7);
    seen.push(...res.body.items.map((o: any) => o.orderNo));
    cursor = res.body.nextCursor;
    if (page++ === 0) {
      const answer = await alice.pushOrder(alice.push({ order_no: "LATE", phone_number: "13999999999", notify_url: stack.receiver.url }));
      expect(answer.json.code).toBe("200");
    }
  } while (cursor);
  expect(seen).toEqual(pushed.map((p) => p.orderNo).reverse());
});

test.each([
  "?limit=0",
  "?limit=501",
  "?status=3",
  "?phone=123",
  "?from=yesterday",
  "?from=2026-12-06T00:00:00",
  "?from=2026-12-06T10:00:00Z&to=2026-12-06T09:00:00Z",
  "?cursor=bm9wZQ",
  "?callbackState=lost",
  "?color=red",
  "?uid=a&uid=b",
])("400 for %s", async (query) => {
  const res = await list(query);
  expect(res.status).toBe(400);
  expect(typeof res.body.error).toBe("string");
});

test("the CSV export streams every match with a header row, filtered like the list", async () => {
  const res = await fetch(`${stack.adminUrl}/admin/orders/export.csv?uid=${alice.uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
  const lines = (await res.text()).split("\r\n");
  expect(lines.pop()).toBe("");
  expect(lines[0]).toBe("id,serialNumber,operatorId,orderNo,orderType,mobileType,phoneNumber,faceValue,status,statusName,channel,mobileOrderNo,callbackState,createdAt,finishedAt");
  const orderNos = lines.slice(1).map((line) => line.split(",")[3]);
  expect(orderNos.sort()).toEqual([...pushed.filter((p) => p.uid === alice.uid).map((p) => p.orderNo), "LATE"].sort());
  expect((await fetch(`${stack.adminUrl}/admin/orders/export.csv?limit=5`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(400);
  expect((await fetch(`${stack.adminUrl}/admin/orders/export.csv`)).status).toBe(401);
});

test("the CSV export reads page after page (more orders than one page holds)", async () => {
  const many = Array.from({ length: 1_100 }, (_, i) => `BULK${i}`);
  for (let i = 0; i < many.length; i += 100) {
    await Promise.all(many.slice(i, i + 100).map((order_no) => bob.pushOrder(bob.push({ order_no, notify_url: stack.receiver.url }))));
  }
  await eventually(async () => ((await list(`?orderNo=BULK1099`)).body.items.length === 1 ? true : undefined));
  const res = await fetch(`${stack.adminUrl}/admin/orders/export.csv?uid=${bob.uid}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const rows = (await res.text()).split("\r\n").filter(Boolean).slice(1);
  const ids = rows.map((line) => Number(line.split(",")[0]));
  expect(rows).toHaveLength(many.length + pushed.filter((p) => p.uid === bob.uid).length);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toEqual([...ids].sort((a, b) => b - a));
}, 60_000);
