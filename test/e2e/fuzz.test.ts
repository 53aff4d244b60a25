import fc from "fast-check";
import { Msg } from "@topup/protocol";
import { startStack, type Stack } from "../support/stack";
import type { OperatorClient } from "../support/operator-client";

// Hostile input over real HTTP: whatever arrives, the answer is a contract envelope with a contract
// message — never a 5xx, a crash, a hang or an unbounded read.
let stack: Stack;
let op: OperatorClient;

beforeAll(async () => {
  stack = await startStack({ worker: false });
  op = await stack.createOperator();
});
afterAll(() => stack.close());

const PATHS = ["/1/api/oper/order", "/1/api/oper/balance", "/1/api/oper/query_order"];
const FIXED = new Set<string>([
  Msg.operatorUnavailable, Msg.ipNotAllowed, Msg.badSign, Msg.faceValueNotOffered, Msg.carrierMismatch, Msg.duplicateOrderNo,
  Msg.badNotifyUrl, Msg.orderNotFound, Msg.unsupportedFormat, Msg.bodyTooLarge, Msg.rateLimited,
]);
const FIELDS = ["uid", "order_no", "order_type", "mobile_type", "phone_number", "face_value", "notify_url", "sign"];

function isContractMessage(msg: unknown): boolean {
  if (typeof msg !== "string") return false;
  if (FIXED.has(msg) || msg === "Success" || msg === "success") return true;
  const m = /^(缺少参数|参数格式错误): (.+)$/.exec(msg);
  return m !== null && FIELDS.includes(m[2]);
}

async function assertContractAnswer(path: string, body: Buffer | string, contentType: string | undefined): Promise<void> {
  const res = await op.post(path, body, contentType);
  expect([200, 413]).toContain(res.status);
  expect(res.contentType).toBe("application/json; charset=utf-8");
  const envelope = JSON.parse(res.text);
  expect(["200", "400"]).toContain(envelope.code);
  expect(isContractMessage(envelope.msg)).toBe(true);
  const keys = path.endsWith("/order") ? ["code", "count", "msg"] : ["code", "count", "msg", "sign", "data"];
  expect(Object.keys(envelope)).toEqual(keys);
}

const contentTypes = fc.constantFrom(
  "application/json",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-8",
  "application/x-www-form-urlencoded; charset=UTF-8",
  "text/plain",
  "application/json; charset=latin1",
  undefined,
);
const anyValue = fc.oneof(
  fc.string({ unit: "binary" }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
const fieldName = fc.oneof(fc.constantFrom(...FIELDS), fc.string({ unit: "binary", maxLength: 8 }));

it("answers random bytes with a contract envelope", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...PATHS), contentTypes, fc.uint8Array({ maxLength: 2048 }), async (path, type, bytes) => {
      await assertContractAnswer(path, Buffer.from(bytes), type);
    }),
    { numRuns: 150 },
  );
});

it("answers JSON objects of any shape and type (unicode, nulls, wrong types) with a contract envelope", async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...PATHS), fc.dictionary(fieldName, anyValue, { maxKeys: 10 }), async (path, object) => {
      await assertContractAnswer(path, JSON.stringify(object), "application/json");
    }),
    { numRuns: 150 },
  );
});

it("answers forms with unicode, duplicates, truncation and bad escapes with a contract envelope", async () => {
  const pair = fc.tuple(fieldName, fc.string({ unit: "binary", maxLength: 40 }));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...PATHS),
      fc.array(pair, { maxLength: 12 }),
      fc.nat(400),
      fc.constantFrom("", "%", "%G1", "%FF", "&&=", "=x"),
      async (path, pairs, cut, junk) => {
        const form = new URLSearchParams(pairs).toString();
        await assertContractAnswer(path, form.slice(0, cut) + junk, "application/x-www-form-urlencoded");
      },
    ),
    { numRuns: 150 },
  );
});

it("answers deep nesting, duplicate keys and oversized bodies with a contract envelope", async () => {
  const deep = `{"uid":${"[".repeat(5000)}${"]".repeat(5000)}}`;
  await assertContractAnswer("/1/api/oper/order", deep, "application/json");
  const dupes = `{"uid":"${op.uid}","uid":"other","order_no":"1"}`;
  const res = await op.post("/1/api/oper/order", dupes, "application/json");
  expect(JSON.parse(res.text).msg).toMatch(/^(缺少参数|参数格式错误): /);
  const huge = Buffer.alloc(1024 * 1024, "a");
  const big = await op.post("/1/api/oper/order", huge, "application/x-www-form-urlencoded");
  expect(big.status).toBe(413);
  expect(big.text).toBe('{"code":"400","count":"0","msg":"请求体过大"}');
});
