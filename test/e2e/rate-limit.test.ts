import { startIngress } from "../../apps/ingress/src";
import { OperatorClient } from "../support/operator-client";
import { startStack, testLogger, type Stack } from "../support/stack";

// PROTOCOL §1/§5: rate limiting is off unless configured for an operator; then HTTP 429 请求过于频繁,
// with one budget shared by every ingress process.
let stack: Stack;
let seq = 0;

beforeAll(async () => {
  stack = await startStack({ worker: false });
});
afterAll(() => stack.close());

/** Waits until the start of a fresh one-second window so a burst falls into a single window. */
async function freshSecond(): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 20));
}

it("answers pushes over the operator's limit with HTTP 429 and the failure envelope, and recovers next second", async () => {
  const op = await stack.createOperator({ rateLimitPerSecond: 3 });
  const push = () => op.pushOrder(op.push({ order_no: `RL${seq++}`, notify_url: stack.receiver.url }));
  await freshSecond();
  const answers = await Promise.all(Array.from({ length: 8 }, push));
  const limited = answers.filter((a) => a.status === 429);
  expect(answers.filter((a) => a.text === '{"code":"200","count":"1","msg":"Success"}')).toHaveLength(3);
  expect(limited).toHaveLength(5);
  for (const a of limited) expect(a.text).toBe('{"code":"400","count":"0","msg":"请求过于频繁"}');
  await freshSecond();
  expect((await push()).status).toBe(200);
});

it("uses the query envelope on the query endpoints, and leaves operators without a limit alone", async () => {
  const op = await stack.createOperator({ rateLimitPerSecond: 1 });
  await freshSecond();
  const answers = await Promise.all([op.queryBalance(), op.queryBalance(), op.queryBalance()]);
  const limited = answers.filter((a) => a.status === 429);
  expect(limited).toHaveLength(2);
  expect(limited[0].text).toBe('{"code":"400","count":"0","msg":"请求过于频繁","sign":"","data":""}');

  const free = await stack.createOperator();
  const many = await Promise.all(Array.from({ length: 20 }, () => free.queryBalance()));
  expect(many.every((a) => a.status === 200)).toBe(true);
});

it("does not let a wrong sign spend the operator's budget", async () => {
  const op = await stack.createOperator({ rateLimitPerSecond: 2 });
  await freshSecond();
  await Promise.all(Array.from({ length: 5 }, () => op.queryBalance("0".repeat(32))));
  expect((await op.queryBalance()).status).toBe(200);
});

it("shares one budget between ingress processes", async () => {
  const second = await startIngress({ ...stack.config, port: 0, adminPort: 0 }, testLogger(), { poolMax: 2 });
  try {
    const op = await stack.createOperator({ rateLimitPerSecond: 4 });
    const other = new OperatorClient(`http://127.0.0.1:${second.operatorPort}`, op.uid, op.key);
    await freshSecond();
    const answers = await Promise.all([
      ...Array.from({ length: 4 }, () => op.queryBalance()),
      ...Array.from({ length: 4 }, () => other.queryBalance()),
    ]);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(4);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(4);
  } finally {
    await second.close();
  }
});
