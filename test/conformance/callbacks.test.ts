/** §7 callbacks: form, fields and order, content type, sign, acknowledgement, 3 attempts, destinations. */
import { startStack, type Stack } from "../support/stack";
import { CALLBACK_FIELDS, Operator, PUSH_SUCCESS, orderNo, sleep, until, verifyCallbackSign, type PushInput } from "./client";
import { Receiver, type Reply } from "./receiver";

const BACKOFF = 100;
/** after the 3rd failure a 4th attempt would start 4×BACKOFF later; waiting this long shows there is none */
const QUIET = BACKOFF * 7;
let stack: Stack;
let op: Operator;
let receiver: Receiver;
/** §7 10 s timeout per attempt: the first attempt is never answered; started first, checked last. */
let hanging: Promise<PushInput>;

beforeAll(async () => {
  stack = await startStack({ config: { callbackBackoffMs: BACKOFF, simulatorStepMs: 5 } });
  receiver = await new Receiver().start();
  const c = await stack.createOperator({ name: "回调测试" });
  op = new Operator(stack.baseUrl, c.uid, c.key);
  hanging = pushWith((n) => (n === 1 ? { hang: true } : { body: "ok" }));
  await hanging;
});

afterAll(async () => {
  await receiver?.close();
  await stack?.close();
});

function order(overrides: Partial<PushInput> = {}): PushInput {
  return op.order({ order_no: orderNo("CB"), notify_url: receiver.url(), ...overrides });
}

async function pushWith(reply: (attempt: number) => Reply, overrides: Partial<PushInput> = {}): Promise<PushInput> {
  const f = order(overrides);
  receiver.responders.set(f.order_no, (_h, attempt) => reply(attempt));
  const ans = await op.push(f);
  expect(ans.text).toBe(PUSH_SUCCESS);
  return f;
}

describe("§7 callback request", () => {
  test("POST, application/x-www-form-urlencoded; charset=UTF-8, fields in order, signed, exact bytes", async () => {
    const f = await pushWith(() => ({ body: "ok" }), { phone_number: "13912345678", face_value: "1000" });
    const [hit] = await receiver.waitFor(f.order_no);
    expect(hit.method).toBe("POST");
    expect(hit.headers["content-type"]).toBe("application/x-www-form-urlencoded; charset=UTF-8");
    expect(hit.entries.map(([k]) => k)).toEqual(CALLBACK_FIELDS);
    expect(hit.fields.status).toBe("4");
    expect(hit.fields.mobile_order_no).toMatch(/^\d{18}$/);
    expect(verifyCallbackSign(hit.fields, op.key)).toBe(true);
    const expected =
      `uid=${op.uid}&order_no=${f.order_no}&mobile_order_no=${hit.fields.mobile_order_no}` +
      `&phone_number=13912345678&face_value=1000&status=4&sign=${hit.fields.sign}`;
    expect(hit.text).toBe(expected);
    expect(hit.url).toBe("/callback");
    expect((await op.orderInfo(f.order_no)).mobileOrderNo).toBe(hit.fields.mobile_order_no);
  });

  test("the notify_url's path and query string are used as given", async () => {
    const f = await pushWith(() => ({ body: "ok" }), { notify_url: receiver.url("/hook/deep?token=a%20b&x=1") });
    const [hit] = await receiver.waitFor(f.order_no);
    expect(hit.url).toBe("/hook/deep?token=a%20b&x=1");
  });

  test("an order pushed as JSON with numeric Int fields is called back with canonical text", async () => {
    const f = order({ face_value: "100" });
    receiver.responders.set(f.order_no, () => ({ body: "ok" }));
    expect((await op.pushJson({ ...f, face_value: 100, order_type: 1, mobile_type: 1 })).text).toBe(PUSH_SUCCESS);
    const [hit] = await receiver.waitFor(f.order_no);
    expect(hit.fields.face_value).toBe("100");
    expect(verifyCallbackSign(hit.fields, op.key)).toBe(true);
  });
});

describe("§7 acknowledgement: HTTP 2xx and trimmed body 'ok' (case-insensitive) or 'success'", () => {
  const acked: [string, Reply][] = [
    ["200 ok", { status: 200, body: "ok" }],
    ["200 OK", { status: 200, body: "OK" }],
    ["200 Ok with whitespace", { status: 200, body: " \tOk \r\n" }],
    ["200 success", { status: 200, body: "success" }],
    ["200 SUCCESS", { status: 200, body: "SUCCESS" }],
    ["200 ' Success\\n'", { status: 200, body: " Success\n" }],
    ["201 ok", { status: 201, body: "ok" }],
    ["202 ok", { status: 202, body: "ok" }],
    ["299 ok", { status: 299, body: "ok" }],
  ];
  const refused: [string, Reply][] = [
    ["200 okay", { status: 200, body: "okay" }],
    ["200 fail", { status: 200, body: "fail" }],
    ["200 empty", { status: 200, body: "" }],
    ["200 ok!", { status: 200, body: "ok!" }],
    ["200 \"ok\"", { status: 200, body: '"ok"' }],
    ['200 {"code":"ok"}', { status: 200, body: '{"code":"ok"}' }],
    ["200 o k", { status: 200, body: "o k" }],
    ["200 ok + more lines", { status: 200, body: "ok\nthanks" }],
    ["200 successful", { status: 200, body: "successful" }],
    ["204 (no body)", { status: 204, body: "" }],
    ["500 ok", { status: 500, body: "ok" }],
    ["404 ok", { status: 404, body: "ok" }],
    ["302 ok → redirect not followed", { status: 302, body: "ok", headers: { location: "/redirected" } }],
  ];

  // every case runs at the same time; once all have had their attempts (and time for a 4th), the tests look
  const pushed = new Map<string, PushInput>();
  let settled: Promise<unknown>;
  beforeAll(async () => {
    const all = [...acked, ...refused];
    const fs = await Promise.all(all.map(([, reply]) => pushWith(() => reply)));
    all.forEach(([label], i) => pushed.set(label, fs[i]));
    settled = Promise.allSettled(
      all.map(([label], i) => receiver.waitFor(fs[i].order_no, i < acked.length ? 1 : 3, 15_000).then(() => label)),
    ).then(() => sleep(QUIET));
  });

  for (const [label] of acked) {
    test(`${label} → acknowledged after 1 attempt`, async () => {
      await settled;
      expect(receiver.for(pushed.get(label)!.order_no)).toHaveLength(1);
    });
  }

  for (const [label] of refused) {
    test(`${label} → not acknowledged: exactly 3 attempts in all, backoff ${BACKOFF}×2^(n−1), identical bytes`, async () => {
      await settled;
      const all = receiver.for(pushed.get(label)!.order_no);
      expect(all).toHaveLength(3);
      // measured at the receiver, so allow a quarter for delivery jitter
      expect(all[1].at - all[0].at).toBeGreaterThanOrEqual(0.75 * BACKOFF);
      expect(all[2].at - all[1].at).toBeGreaterThanOrEqual(0.75 * 2 * BACKOFF);
      for (const h of all) {
        expect(h.text).toBe(all[0].text);
        expect(h.url).toBe("/callback");
      }
      expect(receiver.hits.filter((h) => h.url.startsWith("/redirected"))).toHaveLength(0);
    });
  }

  test("failing twice then answering ok → 3 attempts, then no more", async () => {
    const f = await pushWith((n) => (n < 3 ? { status: 503, body: "busy" } : { body: "ok" }));
    await receiver.waitFor(f.order_no, 3, 15_000);
    await sleep(QUIET);
    expect(receiver.for(f.order_no)).toHaveLength(3);
  });

  test("failing once then answering success → 2 attempts", async () => {
    const f = await pushWith((n) => (n < 2 ? { status: 200, body: "no" } : { body: "success" }));
    await receiver.waitFor(f.order_no, 2, 15_000);
    await sleep(QUIET);
    expect(receiver.for(f.order_no)).toHaveLength(2);
  });

  test("after 3 failures the callback state is failed; an administrator can send it again (admin resend-callback): a new round", async () => {
    let ack = false;
    const f = await pushWith(() => (ack ? { body: "ok" } : { status: 500, body: "down" }));
    await receiver.waitFor(f.order_no, 3, 15_000);
    await sleep(QUIET);
    expect(receiver.for(f.order_no)).toHaveLength(3);
    ack = true;
    const id = (await op.orderInfo(f.order_no)).id;
    const view = await stack.admin("GET", `/admin/orders/${id}`);
    expect(view.status).toBe(200);
    expect(JSON.stringify(view.body)).toContain('"failed"');
    const r = await stack.admin("POST", `/admin/orders/${id}/resend-callback`);
    expect(r.status).toBeLessThan(300);
    await receiver.waitFor(f.order_no, 4, 15_000);
    await sleep(QUIET);
    const all = receiver.for(f.order_no);
    expect(all).toHaveLength(4);
    expect(all[3].text).toBe(all[0].text);
  });
});

describe("§5/§7 idempotent pushes and callbacks", () => {
  test("25 concurrent identical pushes → all Success, one order, exactly one callback", async () => {
    const f = order();
    receiver.responders.set(f.order_no, () => ({ body: "ok" }));
    const answers = await Promise.all(Array.from({ length: 25 }, () => op.push(f)));
    for (const a of answers) {
      expect(a.status).toBe(200);
      expect(a.text).toBe(PUSH_SUCCESS);
    }
    await receiver.waitFor(f.order_no, 1, 15_000);
    // repeats after the callback: still the same success, still no second callback
    expect((await op.push(f)).text).toBe(PUSH_SUCCESS);
    await sleep(500);
    expect(receiver.for(f.order_no)).toHaveLength(1);
  });

  test("25 concurrent identical JSON pushes (mixed with form) → exactly one callback", async () => {
    const f = order({ phone_number: "13900000010" });
    receiver.responders.set(f.order_no, () => ({ body: "ok" }));
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) => (i % 2 ? op.push(f) : op.pushJson({ ...f, face_value: Number(f.face_value), order_type: 1, mobile_type: 1 }))),
    );
    for (const a of answers) expect(a.text).toBe(PUSH_SUCCESS);
    const [hit] = await receiver.waitFor(f.order_no, 1, 15_000);
    expect(hit.fields.status).toBe("10");
    await sleep(400);
    expect(receiver.for(f.order_no)).toHaveLength(1);
  });
});

describe("§10 SIMULATOR_STEP_MS = 0 is allowed", () => {
  let zero: Stack;
  let zop: Operator;
  let zrec: Receiver;
  beforeAll(async () => {
    zero = await startStack({ config: { simulatorStepMs: 0, callbackBackoffMs: 20 } });
    zrec = await new Receiver().start();
    const c = await zero.createOperator({ name: "零延迟" });
    zop = new Operator(zero.baseUrl, c.uid, c.key);
  });
  afterAll(async () => {
    await zrec?.close();
    await zero?.close();
  });
  test("orders still reach their sandbox outcomes and are called back", async () => {
    const cases: [string, string][] = [["13912345678", "4"], ["13900000010", "10"], ["13900000009", "9"]];
    await Promise.all(
      cases.map(async ([phone, status]) => {
        const f = zop.order({ order_no: orderNo("Z"), phone_number: phone, notify_url: zrec.url() });
        expect((await zop.push(f)).text).toBe(PUSH_SUCCESS);
        const [hit] = await zrec.waitFor(f.order_no, 1, 15_000);
        expect(hit.fields.status).toBe(status);
        expect((await zop.orderInfo(f.order_no)).statusId).toBe(Number(status));
      }),
    );
  });
});

describe("§7 destinations are re-checked at delivery", () => {
  let narrow: Stack;
  let nop: Operator;
  let nrec: Receiver;
  beforeAll(async () => {
    // ingress allows 127.0.0.1 (push accepted), the worker allows nothing non-public
    narrow = await startStack({ config: { callbackBackoffMs: 20, simulatorStepMs: 5 }, workerConfig: { callbackAllowedCidrs: "" } });
    nrec = await new Receiver().start();
    const c = await narrow.createOperator({ name: "投递复核" });
    nop = new Operator(narrow.baseUrl, c.uid, c.key);
  });
  afterAll(async () => {
    await nrec?.close();
    await narrow?.close();
  });

  test("a loopback notify_url accepted at push is not called when delivery policy refuses it", async () => {
    const f = nop.order({ order_no: orderNo("NR"), notify_url: nrec.url() });
    expect((await nop.push(f)).text).toBe(PUSH_SUCCESS);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await nop.orderInfo(f.order_no)).statusId !== 4) await sleep(20);
    expect((await nop.orderInfo(f.order_no)).statusId).toBe(4);
    await sleep(1000);
    expect(nrec.hits).toHaveLength(0);
  });
});

describe("§7 at most 1 KiB of the answer is read", () => {
  test("an endless answer does not hold the attempt open: the platform stops reading and hangs up well before the 10 s timeout", async () => {
    const f = await pushWith(() => ({ status: 200, body: "ok", streamForever: " ".repeat(256) }));
    const [hit] = await receiver.waitFor(f.order_no, 1, 15_000);
    await until(async () => (hit.closedAt !== undefined || Date.now() - hit.at > 6000 ? true : undefined), 15_000, 20);
    expect(hit.closedAt).toBeDefined();
    expect(hit.closedAt! - hit.at).toBeLessThan(5000);
  });
});

describe("§7 10 s timeout per attempt", () => {
  test("an attempt left unanswered counts as failed after 10 s; the next attempt follows after the backoff", async () => {
    const f = await hanging;
    const hits = await receiver.waitFor(f.order_no, 2, 18_000);
    const gap = hits[1].at - hits[0].at;
    // measured at the receiver (arrival to arrival), so allow some delivery jitter around 10 s + backoff
    expect(gap).toBeGreaterThanOrEqual(9_500);
    expect(gap).toBeLessThan(10_000 + BACKOFF + 4_000);
    await sleep(QUIET);
    expect(receiver.for(f.order_no)).toHaveLength(2);
  }, 25_000);
});
