import { CallBatch, type BatchedCall } from "../src";

/** A fake operation: records each batch it is given, and finishes when the test says so. */
function recorder(options: { maxSize?: number; maxInFlight?: number; keyOf?: (n: number) => string; fail?: (batch: number[]) => unknown } = {}) {
  const batches: number[][] = [];
  const finishers: (() => void)[] = [];
  const batch = new CallBatch<number, number>({
    maxSize: options.maxSize ?? 100,
    maxInFlight: options.maxInFlight ?? 1,
    keyOf: options.keyOf,
    isInputError: (error) => (error as { code?: string }).code === "22001",
    run: async (calls: readonly BatchedCall<number, number>[]) => {
      const inputs = calls.map((c) => c.input);
      batches.push(inputs);
      await new Promise<void>((resolve) => finishers.push(resolve));
      const error = options.fail?.(inputs);
      if (error) throw error;
      for (const call of calls) call.resolve(call.input * 10);
    },
  });
  const finishAll = () => finishers.splice(0).forEach((finish) => finish());
  return { batch, batches, finishAll };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

it("sends the calls of one event-loop turn as one operation, and settles each with its own result", async () => {
  const { batch, batches, finishAll } = recorder();
  const results = Promise.all([1, 2, 3].map((n) => batch.add(n)));
  await turn();
  expect(batches).toEqual([[1, 2, 3]]);
  finishAll();
  expect(await results).toEqual([10, 20, 30]);
});

it("gathers the calls made while maxInFlight operations run into the next one", async () => {
  const { batch, batches, finishAll } = recorder({ maxInFlight: 1 });
  const first = batch.add(1);
  await turn();
  const later = [2, 3, 4].map((n) => batch.add(n));
  await turn();
  await turn();
  expect(batches).toEqual([[1]]); // still waiting for the first operation
  finishAll();
  expect(await first).toBe(10);
  await turn();
  await turn();
  expect(batches).toEqual([[1], [2, 3, 4]]);
  finishAll();
  expect(await Promise.all(later)).toEqual([20, 30, 40]);
});

it("runs up to maxInFlight operations at once and caps each at maxSize calls", async () => {
  const { batch, batches, finishAll } = recorder({ maxInFlight: 2, maxSize: 2 });
  const all = Promise.all([1, 2, 3, 4, 5].map((n) => batch.add(n)));
  await turn();
  expect(batches).toEqual([[1, 2], [3, 4]]);
  finishAll();
  await turn();
  await turn();
  expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  finishAll();
  expect(await all).toEqual([10, 20, 30, 40, 50]);
});

it("never puts two calls with the same key in one operation; the later one waits for the next, in order", async () => {
  const { batch, batches, finishAll } = recorder({ keyOf: (n) => String(n % 10) });
  const all = Promise.all([1, 11, 2, 22, 3].map((n) => batch.add(n)));
  await turn();
  expect(batches).toEqual([[1, 2, 3]]);
  finishAll();
  await turn();
  await turn();
  expect(batches).toEqual([[1, 2, 3], [11, 22]]);
  finishAll();
  expect(await all).toEqual([10, 110, 20, 220, 30]);
});

it("never runs two calls with the same key at once: the later waits for the earlier's operation to finish", async () => {
  const { batch, batches, finishAll } = recorder({ maxInFlight: 4, keyOf: (n) => String(n % 10) });
  const first = batch.add(1);
  await turn();
  const replay = batch.add(11); // same key, while 1 runs: free slots, but it must not overtake
  const other = batch.add(2);
  await turn();
  await turn();
  expect(batches).toEqual([[1], [2]]);
  finishAll();
  expect(await first).toBe(10);
  expect(await other).toBe(20);
  await turn();
  await turn();
  expect(batches).toEqual([[1], [2], [11]]);
  finishAll();
  expect(await replay).toBe(110);
  await batch.settled();
});

it("runs each call alone when the operation fails on one call's input, so only that call fails", async () => {
  const dataError = Object.assign(new Error("value too long"), { code: "22001" });
  const { batch, batches, finishAll } = recorder({ maxInFlight: 10, fail: (inputs) => (inputs.includes(2) ? dataError : null) });
  const all = Promise.allSettled([1, 2, 3].map((n) => batch.add(n)));
  for (let i = 0; i < 5; i++) {
    await turn();
    finishAll();
  }
  const settled = await all;
  expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
  expect((settled[1] as PromiseRejectedResult).reason).toBe(dataError);
  expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
});

it("fails every call of an operation that failed for any other reason (the database is unavailable)", async () => {
  const down = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
  const { batch, batches, finishAll } = recorder({ fail: () => down });
  const all = Promise.allSettled([1, 2].map((n) => batch.add(n)));
  await turn();
  finishAll();
  const settled = await all;
  expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected"]);
  expect(batches).toEqual([[1, 2]]);
  // ... and the batcher is free again for the next calls.
  const next = batch.add(7);
  await turn();
  expect(batches).toEqual([[1, 2], [7]]);
});

it("tells when every call made so far (and meanwhile) has been carried out", async () => {
  const { batch, finishAll } = recorder({ maxInFlight: 1 });
  await batch.settled(); // nothing to wait for
  let settled = false;
  const calls = [batch.add(1), batch.add(2)];
  const done = batch.settled().then(() => (settled = true));
  await turn();
  const later = batch.add(3); // made while the first statement runs: waited for too
  finishAll();
  await turn();
  await turn();
  expect(settled).toBe(false);
  finishAll();
  await done;
  expect(await Promise.all([...calls, later])).toEqual([10, 20, 30]);
});
