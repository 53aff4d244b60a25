/** Thrown by Slots.run for work that had not started when the slots were closed. */
export class SlotsClosedError extends Error {
  override readonly name = "SlotsClosedError";
  constructor() {
    super("not started: closing");
  }
}

/** At most `size` pieces of work run at once; the others wait, in the order they came. */
export class Slots {
  private free: number;
  private readonly waiting: { start: () => void; refuse: (error: Error) => void }[] = [];
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`slots: size must be a positive integer, got ${size}`);
    this.free = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new SlotsClosedError();
    if (this.free > 0) this.free--;
    else await new Promise<void>((start, refuse) => this.waiting.push({ start, refuse }));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start(); // the slot passes straight on
      else this.free++;
    }
  }

  /** Work still waiting, and work offered from now on, fails with SlotsClosedError; running work goes on. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.refuse(new SlotsClosedError());
  }
}
