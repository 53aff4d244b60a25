import { Slots, SlotsClosedError } from "../src/slots";

const tick = () => new Promise((r) => setImmediate(r));

describe("Slots", () => {
  it("runs at most `size` pieces of work at once, the rest in the order they came", async () => {
    const slots = new Slots(2);
    const started: number[] = [];
    const finish: (() => void)[] = [];
    const runs = [0, 1, 2, 3].map((i) =>
      slots.run(() => {
        started.push(i);
        return new Promise<number>((resolve) => finish.push(() => resolve(i)));
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    finish[1]();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    finish[0]();
    finish[2]();
    await tick();
    finish[3]();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  });

  it("frees the slot of work that fails", async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await slots.run(async () => "next")).toBe("next");
  });

  it("on close, lets running work end and refuses what waits and what comes later", async () => {
    const slots = new Slots(1);
    let finish!: () => void;
    const running = slots.run(() => new Promise<string>((resolve) => (finish = () => resolve("ran"))));
    const waiting = slots.run(async () => "never");
    await tick();
    slots.close();
    await expect(waiting).rejects.toBeInstanceOf(SlotsClosedError);
    await expect(slots.run(async () => "later")).rejects.toBeInstanceOf(SlotsClosedError);
    finish();
    expect(await running).toBe("ran");
  });

  it("refuses a size that is not a positive integer", () => {
    for (const size of [0, -1, 1.5, Number.NaN]) expect(() => new Slots(size)).toThrow(RangeError);
  });
});
