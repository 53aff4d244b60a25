import type { ChildProcess } from "node:child_process";
import { startWorker, type WorkerService } from "../../apps/worker/src";
import { FakeSupplier } from "../support/fake-supplier";
import { eventually, startStack, testLogger, type Stack } from "../support/stack";
import { startWorkerProcess } from "../support/worker-process";

// PROTOCOL §12 "an order is with at most one channel at a time": a worker killed (kill -9) after
// sending a push and before recording the supplier's answer leaves the order at 6 with an attempt
// whose outcome it never learned. The next worker must push to the same supplier again (the serial
// makes it the same order there) and never to the route's next channel.
let stack: Stack;
let child: ChildProcess | null = null;
let survivor: WorkerService | null = null;
const suppliers: FakeSupplier[] = [];

beforeAll(async () => {
  stack = await startStack({ worker: false, reachable: true, config: { defaultChannel: "" } });
});
afterAll(async () => {
  child?.kill("SIGKILL");
  await survivor?.close();
  await stack.close();
  await Promise.all(suppliers.map((s) => s.close()));
});

test.each([
  ["took the order", true],
  ["had not stored it yet", false],
])("killed mid-push (the supplier %s): the order stays with the first channel", async (_name, taken) => {
  const [first, second] = await Promise.all([1, 2].map((n) => new FakeSupplier(`90${n}${taken ? 1 : 0}`, `crash${n}${taken}`.padEnd(32, "c")).start()));
  suppliers.push(first, second);
  const codes = [`crash-${taken}-1`, `crash-${taken}-2`];
  const faceValue = taken ? 3000 : 3100;
  for (const [i, supplier] of [first, second].entries()) {
    const res = await stack.admin("POST", "/admin/channels", { code: codes[i], kind: "upstream", config: { baseUrl: supplier.url, uid: supplier.uid, md5key: supplier.key } });
    expect(res.status).toBe(201);
  }
  expect((await stack.admin("POST", "/admin/routes", { channels: codes, faceValues: [faceValue] })).status).toBe(201);
  second.onPush = (fields, s) => s.take(fields, 4);

  child = await startWorkerProcess(stack.config);
  const exited = new Promise((resolve) => child!.once("exit", resolve));
  let killed = false;
  // The first push arrives; its worker dies before any answer. Later pushes are taken; the order is recharged.
  first.onPush = (fields, s) => {
    if (!killed) {
      killed = true;
      if (taken) s.take(fields, 4);
      child?.kill("SIGKILL");
      return "hang";
    }
    return s.take(fields, 4);
  };
  const operator = await stack.createOperator();
  const orderNo = `CRASHUP${Date.now()}${taken}`;
  const push = await operator.pushOrder(operator.push({ order_no: orderNo, face_value: String(faceValue), notify_url: stack.receiver.url }));
  expect(push.json.code).toBe("200");
  await eventually(async () => (killed ? true : undefined), 20_000);
  await exited;
  child = null;

  survivor ??= await startWorker(stack.config, testLogger(), { poolMax: 2, reconcileEveryMs: 500, reconcileGraceMs: 200, upstream: { firstQueryMs: 50, timeoutMs: 500 } });
  const [callback] = await stack.receiver.waitFor(orderNo, 1, 40_000);
  expect(callback.fields.status).toBe("4");
  const serial = (await operator.orderData(orderNo)).serialNumber;
  expect(second.pushes).toHaveLength(0);
  expect(first.pushesOf(serial).length).toBeGreaterThanOrEqual(taken ? 1 : 2);
  const id = (await operator.orderData(orderNo)).id;
  const detail = (await stack.admin("GET", `/admin/orders/${id}`)).body;
  expect(detail.channelAttempts.map((a: any) => [a.channelCode, a.outcome])).toEqual([[codes[0], "succeeded"]]);
}, 90_000);
