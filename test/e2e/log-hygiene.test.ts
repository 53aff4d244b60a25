import winston from "winston";
import { redact } from "@topup/config";
import { Capture, capturingLogger } from "../support/log-capture";
import { eventually, startStack, ADMIN_TOKEN, type Stack } from "../support/stack";

// Secrets (md5 keys, signs, the admin token) never reach a log line; phone numbers are masked.
const capture = new Capture();
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ logger: capturingLogger(capture), config: { callbackBackoffMs: 20 } });
});
afterAll(() => stack.close());

it("keeps keys, signs, the token and phone numbers out of every log line through a whole lifecycle", async () => {
  const op = await stack.createOperator({ name: "日志" });
  const rotated = await stack.admin("POST", `/admin/operators/${op.uid}/rotate-key`);
  const key = rotated.body.md5key as string;
  const client = new (op.constructor as any)(stack.baseUrl, op.uid, key);
  const phones = ["13912345678", "13912340010", "13912340009"];
  const signs: string[] = [];
  stack.receiver.respond = (_cb, res) => {
    res.statusCode = 500; // failing callbacks log their attempts too
    res.end("no");
  };
  for (const [i, phone] of phones.entries()) {
    const fields = client.push({ order_no: `LOG${Date.now()}${i}`, phone_number: phone, notify_url: stack.receiver.url });
    signs.push(fields.sign);
    await client.pushOrder(fields);
  }
  await client.pushOrder({ ...client.push({ order_no: "LOGBAD", phone_number: "13700001111", notify_url: stack.receiver.url }), sign: "f".repeat(32) });
  await eventually(async () => (stack.receiver.received.length >= phones.length * 3 ? true : undefined), 20_000);
  await new Promise((r) => setTimeout(r, 200));

  const text = capture.lines.join("\n");
  expect(capture.lines.length).toBeGreaterThan(5); // the platform did log: the check below is not vacuous
  for (const secret of [op.key, key, ADMIN_TOKEN, ...signs, ...phones, "13700001111"]) {
    expect(text).not.toContain(secret);
  }
});

it("masks numbers and redacts secrets in any field a caller passes to the logger", () => {
  const lines = new Capture();
  const logger = winston.createLogger({ format: winston.format.combine(redact(), winston.format.json()), transports: [lines] });
  logger.warn("callback to 13912345678 failed", { order: { phoneNumber: "13912345678", md5key: "abc" }, token: "t0k" });
  expect(lines.lines[0]).toContain("139****5678");
  expect(lines.lines[0]).not.toMatch(/13912345678|"abc"|t0k/);
});
