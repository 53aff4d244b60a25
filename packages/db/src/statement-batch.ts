/** One caller's share of a batched statement. */
export interface BatchedCall<In, Out> {
  readonly input: In;
  resolve(value: Out): void;
  reject(error: unknown): void;
}

export interface StatementBatchOptions<In, Out> {
  /**
   * Runs ONE statement for the calls and settles each of them. It throws only when the statement
   * itself failed (before settling anything); settling a call twice does nothing.
   */
  run: (calls: readonly BatchedCall<In, Out>[]) => Promise<void>;
  /** Calls per statement at most. */
  maxSize: number;
  /** Statements of this kind running at once at most; calls made meanwhile wait and go together. */
  maxInFlight: number;
  /** Calls with the same key never share a statement (a later one waits for the next). */
  keyOf?: (input: In) => string;
}

/** PostgreSQL's data exception (22xxx) and integrity violation (23xxx) classes: a problem of the rows, not of the database. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
}

/**
 * Group commit for one kind of statement. A call is sent at the end of the event-loop turn it was
 * made in, together with every call of the same kind made in that turn, or — while `maxInFlight`
 * statements of this kind are already running — with every call made until one of them finishes.
 * Alone, a call costs what an unbatched one did plus one turn; under load one round trip, one plan
 * execution and one commit (one WAL flush) serve many calls, which is what the database and the pg
 * client spend most per order on (bench/, issue #4).
 *
 * A statement that fails on the data of some row (22xxx/23xxx) is run again for each call alone, so
 * that one bad row never fails the calls it happened to share a statement with.
 */
export class StatementBatch<In, Out> {
  private queue: BatchedCall<In, Out>[] = [];
  private inFlight = 0;
  private flushPlanned = false;

  constructor(private readonly options: StatementBatchOptions<In, Out>) {}

  add(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.planFlush();
    });
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
      const batch = this.take();
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.planFlush();
      });
    }
  }

  /** The next batch in arrival order, skipping (and keeping queued) calls whose key it already holds. */
  private take(): BatchedCall<In, Out>[] {
    const { keyOf, maxSize } = this.options;
    if (!keyOf) return this.queue.splice(0, maxSize);
    const batch: BatchedCall<In, Out>[] = [];
    const rest: BatchedCall<In, Out>[] = [];
    const keys = new Set<string>();
    for (const call of this.queue) {
      const key = keyOf(call.input);
      if (batch.length < maxSize && !keys.has(key)) {
        keys.add(key);
        batch.push(call);
      } else {
        rest.push(call);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async runBatch(batch: readonly BatchedCall<In, Out>[]): Promise<void> {
    try {
      await this.options.run(batch);
    } catch (error) {
      if (batch.length > 1 && isDataError(error)) {
        await Promise.all(batch.map((call) => this.runBatch([call])));
        return;
      }
      for (const call of batch) call.reject(error);
    }
  }
}
