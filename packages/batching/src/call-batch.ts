/** One caller's share of a batched operation. */
export interface BatchedCall<In, Out> {
  readonly input: In;
  resolve(value: Out): void;
  reject(error: unknown): void;
}

export interface CallBatchOptions<In, Out> {
  /**
   * Carries out ONE operation (a statement, a queue round trip) for the calls and settles each of
   * them. It throws only when the operation itself failed, before settling anything; settling a
   * call twice does nothing.
   */
  run: (calls: readonly BatchedCall<In, Out>[]) => Promise<void>;
  /** Calls per operation at most. */
  maxSize: number;
  /** Operations of this kind running at once at most; calls made meanwhile wait and go together. */
  maxInFlight: number;
  /**
   * Calls with the same key never share an operation, nor run in two at once: a later one waits
   * until the operation holding its key has finished, so the first call made always goes first.
   */
  keyOf?: (input: In) => string;
  /**
   * Errors that concern some call's input rather than the operation (a database data error):
   * the operation is then run again for each call alone, so that one bad input never fails the
   * calls it happened to share an operation with.
   */
  isInputError?: (error: unknown) => boolean;
}

/**
 * Group commit for one kind of operation. A call goes out at the end of the event-loop turn it was
 * made in, together with every call of the same kind made in that turn, or — while `maxInFlight`
 * operations of this kind are already running — with every call made until one of them finishes.
 * Alone, a call costs what an unbatched one did plus one turn; under load one round trip (and, for
 * a statement, one plan execution and one commit) serves many calls, which is what the database,
 * Redis and their clients spend most per order on.
 */
export class CallBatch<In, Out> {
  private queue: BatchedCall<In, Out>[] = [];
  private inFlight = 0;
  private flushPlanned = false;
  private idleWaiters: (() => void)[] = [];
  /** Keys of the calls in running operations (keyOf only). */
  private readonly keysInFlight = new Set<string>();

  constructor(private readonly options: CallBatchOptions<In, Out>) {}

  add(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.planFlush();
    });
  }

  /** Resolves once nothing is queued or running: every call made so far, and any made meanwhile, carried out (a clean stop waits for this). */
  settled(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0;
  }

  private planFlush(): void {
    if (this.flushPlanned || this.queue.length === 0 || this.inFlight >= this.options.maxInFlight) return;
    this.flushPlanned = true;
    setImmediate(() => {
      this.flushPlanned = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const { batch, keys } = this.take();
      if (batch.length === 0) return; // every queued call waits for a key in flight
      this.inFlight++;
      for (const key of keys) this.keysInFlight.add(key);
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        for (const key of keys) this.keysInFlight.delete(key);
        this.planFlush();
        if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
      });
    }
  }

  /**
   * The next batch in arrival order, skipping (and keeping queued) calls whose key it already
   * holds or a running operation holds.
   */
  private take(): { batch: BatchedCall<In, Out>[]; keys: ReadonlySet<string> } {
    const { keyOf, maxSize } = this.options;
    const keys = new Set<string>();
    if (!keyOf) return { batch: this.queue.splice(0, maxSize), keys };
    const batch: BatchedCall<In, Out>[] = [];
    const rest: BatchedCall<In, Out>[] = [];
    for (const call of this.queue) {
      const key = keyOf(call.input);
      if (batch.length < maxSize && !keys.has(key) && !this.keysInFlight.has(key)) {
        keys.add(key);
        batch.push(call);
      } else {
        rest.push(call);
      }
    }
    this.queue = rest;
    return { batch, keys };
  }

  private async runBatch(batch: readonly BatchedCall<In, Out>[]): Promise<void> {
    try {
      await this.options.run(batch);
    } catch (error) {
      if (batch.length > 1 && this.options.isInputError?.(error)) {
        await Promise.all(batch.map((call) => this.runBatch([call])));
        return;
      }
      for (const call of batch) call.reject(error);
    }
  }
}
