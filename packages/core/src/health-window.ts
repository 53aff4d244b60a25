import type { Redis } from "@topup/queue";
import type { CallResult } from "./circuit-breaker";

/**
 * The sliding window of a channel's calls, shared by every process: in Redis, one hash per channel
 * per bucket (`<prefix>:health:<code>:<bucket start ms>`, windowBucketMs long), expiring once it has
 * left the window. Losing it (a Redis restart) forgets recent calls only: the circuit itself is in
 * PostgreSQL.
 */

/** What a call did to its order, for ops' view of the channel: a definitive outcome, or none yet. */
export type OrderVerdict = "succeeded" | "failed" | null;

/** Upper bounds (ms, exclusive) of the latency histogram's buckets; one more bucket holds the rest. */
export const LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500, 2_000, 3_000, 5_000, 7_000, 10_000, 15_000, 20_000, 30_000, 60_000,
]);

export function latencyBucket(ms: number): number {
  let i = 0;
  while (i < LATENCY_BOUNDS_MS.length && ms >= LATENCY_BOUNDS_MS[i]) i++;
  return i;
}

/**
 * The latency below which a share `p` of the calls fell, interpolated within its histogram bucket;
 * null with no calls. The open last bucket answers its lower bound.
 */
export function latencyPercentile(histogram: readonly number[], p: number): number | null {
  const total = histogram.reduce((sum, n) => sum + n, 0);
  if (total === 0) return null;
  const rank = p * total;
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const n = histogram[i];
    if (n > 0 && below + n >= rank) {
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1];
      if (i >= LATENCY_BOUNDS_MS.length) return lower;
      return lower + ((LATENCY_BOUNDS_MS[i] - lower) * (rank - below)) / n;
    }
    below += n;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1];
}

/** A channel's calls over some time: one process's since its last flush, or the window's. */
export class CallFigures {
  calls = 0;
  errors = 0;
  /** Definitive order outcomes the calls brought (informational: not the breaker's input). */
  succeeded = 0;
  failed = 0;
  latencySumMs = 0;
  readonly histogram: number[] = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
}

/** One process's calls to a channel since its last flush, with the runs the consecutive counts need. */
export class CallTally extends CallFigures {
  trailingErrors = 0;
  trailingOks = 0;

  add(result: CallResult, verdict: OrderVerdict, ms: number): void {
    this.calls++;
    if (result === "error") {
      this.errors++;
      this.trailingErrors++;
      this.trailingOks = 0;
    } else {
      this.trailingOks++;
      this.trailingErrors = 0;
    }
    if (verdict === "succeeded") this.succeeded++;
    else if (verdict === "failed") this.failed++;
    this.latencySumMs += ms;
    this.histogram[latencyBucket(ms)]++;
  }
}

/** Hash fields: c calls, e errors, s/f orders succeeded/failed, us latency sum (µs), h<i> histogram. */
function fieldsOf(figures: CallFigures): [string, number][] {
  const fields: [string, number][] = [
    ["c", figures.calls],
    ["e", figures.errors],
    ["s", figures.succeeded],
    ["f", figures.failed],
    ["us", Math.round(figures.latencySumMs * 1_000)],
  ];
  figures.histogram.forEach((n, i) => fields.push([`h${i}`, n]));
  return fields.filter(([, n]) => n > 0);
}

function addFields(into: CallFigures, hash: Record<string, string>): void {
  const n = (field: string) => Number(hash[field] ?? 0) || 0;
  into.calls += n("c");
  into.errors += n("e");
  into.succeeded += n("s");
  into.failed += n("f");
  into.latencySumMs += n("us") / 1_000;
  for (let i = 0; i < into.histogram.length; i++) into.histogram[i] += n(`h${i}`);
}

export interface WindowSettings {
  windowMs: number;
  windowBucketMs: number;
}

export class HealthWindow {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly settings: WindowSettings,
  ) {}

  get seconds(): number {
    return this.settings.windowMs / 1_000;
  }

  /** Adds one process's figures to the current bucket and reads the window back: one pipeline. */
  async addAndRead(tallies: ReadonlyMap<string, CallFigures>, now: number): Promise<Map<string, CallFigures>> {
    const pipeline = this.redis.pipeline();
    const bucket = this.bucketStart(now);
    const ttlMs = this.settings.windowMs + 2 * this.settings.windowBucketMs;
    let writes = 0;
    for (const [code, figures] of tallies) {
      const key = this.key(code, bucket);
      for (const [field, n] of fieldsOf(figures)) {
        pipeline.hincrby(key, field, n);
        writes++;
      }
      pipeline.pexpire(key, ttlMs);
      writes++;
    }
    const codes = [...tallies.keys()];
    this.queueReads(pipeline, codes, now);
    return this.parseReads(await pipeline.exec(), writes, codes);
  }

  /** The window of each channel; one pipeline. */
  async read(codes: readonly string[], now: number): Promise<Map<string, CallFigures>> {
    const pipeline = this.redis.pipeline();
    this.queueReads(pipeline, codes, now);
    return this.parseReads(await pipeline.exec(), 0, codes);
  }

  /** Forgets the channel's window (its circuit closed: the calls before no longer count). */
  async clear(code: string, now: number): Promise<void> {
    await this.redis.del(...this.keys(code, now));
  }

  private queueReads(pipeline: ReturnType<Redis["pipeline"]>, codes: readonly string[], now: number): void {
    for (const code of codes) for (const key of this.keys(code, now)) pipeline.hgetall(key);
  }

  private parseReads(results: [Error | null, unknown][] | null, offset: number, codes: readonly string[]): Map<string, CallFigures> {
    if (!results) throw new Error("health window: pipeline discarded");
    const perCode = this.bucketCount();
    const out = new Map<string, CallFigures>();
    codes.forEach((code, c) => {
      const figures = new CallFigures();
      for (let b = 0; b < perCode; b++) {
        const [error, hash] = results[offset + c * perCode + b];
        if (error) throw error;
        addFields(figures, hash as Record<string, string>);
      }
      out.set(code, figures);
    });
    return out;
  }

  private bucketCount(): number {
    return Math.max(1, Math.ceil(this.settings.windowMs / this.settings.windowBucketMs));
  }

  private bucketStart(now: number): number {
    return now - (now % this.settings.windowBucketMs);
  }

  /** The keys of the window ending now: the current (partial) bucket and the ones before it. */
  private keys(code: string, now: number): string[] {
    const current = this.bucketStart(now);
    return Array.from({ length: this.bucketCount() }, (_, i) => this.key(code, current - i * this.settings.windowBucketMs));
  }

  private key(code: string, bucketStart: number): string {
    return `${this.prefix}:health:${code}:${bucketStart}`;
  }
}
