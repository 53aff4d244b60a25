import { performance } from "node:perf_hooks";
import type { ChannelOrder, ChannelStatus, LastSeen, PlaceResult, RechargeChannel } from "@topup/channels";
import type { Logger } from "@topup/config";
import type { CallCounts, ChannelRecord, ChannelRepository, CircuitRow } from "@topup/db";
import type { Redis } from "@topup/queue";
import { DEFAULT_CIRCUIT, nextCircuit, successRate, type CallResult, type CircuitMove, type CircuitSettings } from "./circuit-breaker";
import { CallTally, HealthWindow, latencyPercentile, type CallFigures, type OrderVerdict } from "./health-window";

type Classified = readonly [CallResult, OrderVerdict];
const OK: Classified = Object.freeze(["ok", null] as const);
const OK_SUCCEEDED: Classified = Object.freeze(["ok", "succeeded"] as const);
const OK_FAILED: Classified = Object.freeze(["ok", "failed"] as const);
const ERROR: Classified = Object.freeze(["error", null] as const);

/** A placement's result: a refusal is the channel answering (about one order), busy and unknown are errors. */
export function classifyPlace(result: PlaceResult): Classified {
  switch (result.outcome) {
    case "placed":
    case "held":
      return OK;
    case "refused":
      return OK_FAILED;
    case "busy":
    case "unknown":
      return ERROR;
  }
}

/** A query's result: any status the protocol knows is ok, a definitive failure included; unknown is an error. */
export function classifyStatus(status: ChannelStatus): Classified {
  switch (status.state) {
    case "succeeded":
      return OK_SUCCEEDED;
    case "failed":
    case "timed_out":
      return OK_FAILED;
    case "unknown":
      return ERROR;
    default:
      return OK;
  }
}

interface CallSink {
  record(code: string, result: CallResult, verdict: OrderVerdict, ms: number): void;
}

/**
 * A channel client that times and classifies every place and query into the process's tallies
 * (ChannelHealth): no I/O of its own, so the order path gains no round trip. A call that throws
 * is an error, and the error goes on to the caller unchanged.
 */
export class MeasuredChannel implements RechargeChannel {
  readonly code: string;
  readonly kind: RechargeChannel["kind"];
  readonly stepDelayMs: number;
  readonly verifyNotification?: RechargeChannel["verifyNotification"];
  readonly balance?: RechargeChannel["balance"];

  constructor(
    readonly inner: RechargeChannel,
    private readonly sink: CallSink,
  ) {
    this.code = inner.code;
    this.kind = inner.kind;
    this.stepDelayMs = inner.stepDelayMs;
    // Only what the client has: a channel without balance() is not polled (BalancePoller).
    if (inner.verifyNotification) this.verifyNotification = inner.verifyNotification.bind(inner);
    if (inner.balance) this.balance = inner.balance.bind(inner);
  }

  place(order: ChannelOrder): Promise<PlaceResult> {
    return this.timed(() => this.inner.place(order), classifyPlace);
  }

  query(order: ChannelOrder, lastSeen: LastSeen): Promise<ChannelStatus> {
    return this.timed(() => this.inner.query(order, lastSeen), classifyStatus);
  }

  private async timed<T>(call: () => Promise<T>, classify: (result: T) => Classified): Promise<T> {
    const started = performance.now();
    let result: T;
    try {
      result = await call();
    } catch (error) {
      this.sink.record(this.code, "error", null, performance.now() - started);
      throw error;
    }
    const [kind, verdict] = classify(result);
    this.sink.record(this.code, kind, verdict, performance.now() - started);
    return result;
  }
}

export interface ChannelHealthOptions {
  /** The breaker's thresholds and the window's length (DEFAULT_CIRCUIT for what is not given). */
  circuit?: Partial<CircuitSettings>;
  /** How often a worker reports its calls and looks at the circuits (default 1 s). */
  flushEveryMs?: number;
  /** How long a flush waits for Redis before it decides without the window (default 2 s). */
  windowTimeoutMs?: number;
  /** The time circuits and windows are kept in (tests move it); latencies are timed apart from it. */
  clock?: () => number;
}

export interface ChannelHealthDeps {
  channels: ChannelRepository;
  redis: Redis;
  /** Keys go under `<prefix>:health:` (QUEUE_PREFIX isolates instances). */
  prefix: string;
  logger: Logger;
}

/** A channel's health as GET /admin/channels/:code shows it. */
export interface HealthView {
  /** The sliding window's length (seconds); the figures below are for it, null when Redis cannot say. */
  window: number;
  calls: number | null;
  errors: number | null;
  /** Share of the window's calls the channel answered in the protocol (the breaker's success rate). */
  successRate: number | null;
  /** Definitive outcomes of orders that the window's calls brought (for ops; not the breaker's input). */
  orders: { succeeded: number | null; failed: number | null; successRate: number | null };
  latencyMs: { p50: number | null; p95: number | null; avg: number | null };
  consecutiveErrors: number;
  circuit: { state: ChannelRecord["circuitState"]; openedAt: string | null };
}

const round = (n: number | null, places: number): number | null => (n === null ? null : Number(n.toFixed(places)));

/**
 * Channel health (docs/channels.md): every call of a MeasuredChannel lands in this process's
 * tallies; at most once per flushEveryMs they go out together — one Redis pipeline adds them to
 * the shared sliding window and reads it back, one SQL statement adds the error and ok runs to the
 * channels' rows and returns their circuits — and the breaker (nextCircuit) decides from those.
 * The circuit lives in PostgreSQL, moved only by conditional UPDATEs; ChannelDirectory reads it
 * with the channels, so routing obeys a move within its refresh (≤ 2 s).
 */
export class ChannelHealth implements CallSink {
  readonly settings: CircuitSettings;
  readonly window: HealthWindow;
  /** The circuit moves this process made, oldest first (for tests and diagnostics; at most the last 100). */
  readonly moves: (CircuitMove & { code: string })[] = [];
  private tallies = new Map<string, CallTally>();
  private flushing: Promise<void> | null = null;
  /** Some circuit was not closed at the last look (or none was taken yet): look even without calls. */
  private watching = true;
  private windowPending = false;
  private windowFailing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly clock: () => number;

  constructor(
    private readonly deps: ChannelHealthDeps,
    private readonly options: ChannelHealthOptions = {},
  ) {
    this.settings = { ...DEFAULT_CIRCUIT, ...options.circuit };
    this.window = new HealthWindow(deps.redis, deps.prefix, this.settings);
    this.clock = options.clock ?? Date.now;
  }

  /** The client, measured. */
  measure(channel: RechargeChannel): RechargeChannel {
    return new MeasuredChannel(channel, this);
  }

  record(code: string, result: CallResult, verdict: OrderVerdict, ms: number): void {
    let tally = this.tallies.get(code);
    if (!tally) this.tallies.set(code, (tally = new CallTally()));
    tally.add(result, verdict, ms);
  }

  /** Flushes every flushEveryMs (0: never) until stop(). */
  start(): void {
    if (this.timer || this.options.flushEveryMs === 0) return;
    this.timer = setInterval(() => void this.flush().catch((error: unknown) => this.deps.logger.warn("channel health flush failed", { error })), this.options.flushEveryMs ?? 1_000);
    this.timer.unref();
  }

  /** Stops the flushes, reporting what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing?.catch(() => undefined);
    await this.flush();
  }

  /** Reports this process's calls and moves the circuits that are due; one flush at a time (a call meanwhile joins it). */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const tallies = this.tallies;
    if (tallies.size === 0 && !this.watching) return;
    this.tallies = new Map();
    const now = this.clock();
    const counts: CallCounts[] = [...tallies].map(([code, t]) => ({
      code,
      trailingErrors: t.trailingErrors,
      sawOk: t.calls > t.errors,
      trailingOks: t.trailingOks,
      sawError: t.errors > 0,
    }));
    const [rows, window] = await Promise.all([this.deps.channels.addCallCounts(counts), this.addToWindow(tallies, now)]);
    let watching = false;
    for (const row of rows) {
      const move = nextCircuit(
        {
          state: row.state,
          openedAt: row.openedAt,
          consecutiveErrors: row.consecutiveFailures,
          consecutiveOks: row.consecutiveSuccesses,
          window: window?.get(row.code) ?? null,
          newErrors: tallies.get(row.code)?.errors ?? 0,
        },
        now,
        this.settings,
      );
      const state = move && (await this.move(row, move, now)) ? move.to : row.state;
      if (state !== "closed") watching = true;
    }
    this.watching = watching;
  }

  /** The window with these tallies added; null when Redis does not answer in time (the breaker then goes by the counts alone). */
  private async addToWindow(tallies: ReadonlyMap<string, CallTally>, now: number): Promise<Map<string, CallFigures> | null> {
    // A pipeline still waiting (Redis down: the worker's connection queues commands) is not joined by
    // another: the calls of this flush are left out of the window, which only forgets them.
    if (tallies.size === 0 || this.windowPending) return null;
    this.windowPending = true;
    const written = this.window.addAndRead(tallies, now).finally(() => (this.windowPending = false));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), this.options.windowTimeoutMs ?? 2_000)));
    try {
      const window = await Promise.race([written, late]);
      if (window) this.windowFailing = false;
      return window;
    } catch (error) {
      if (!this.windowFailing) this.deps.logger.warn("channel health window unavailable; circuits go by consecutive errors alone", { error: (error as Error).message });
      this.windowFailing = true;
      return null;
    } finally {
      clearTimeout(timer);
      written.catch(() => undefined);
    }
  }

  private async move(row: CircuitRow, move: CircuitMove, now: number): Promise<boolean> {
    const moved = await this.deps.channels.moveCircuit(row.code, row, move.to, new Date(now));
    if (!moved) return false; // another process moved it first
    this.moves.push({ code: row.code, ...move });
    if (this.moves.length > 100) this.moves.shift();
    const meta = { channel: row.code, from: move.from, to: move.to, reason: move.reason };
    if (move.to === "open") this.deps.logger.warn("channel circuit opened: no new orders for it", meta);
    else this.deps.logger.info(move.to === "closed" ? "channel circuit closed" : "channel circuit half-open: probation", meta);
    // Closed after probation, the channel starts afresh: the calls that opened it no longer count.
    if (move.to === "closed") await this.forget(row.code);
    return true;
  }

  /** Forgets the channel's window (an administrator closed its circuit, or probation did). */
  async forget(code: string): Promise<void> {
    await this.window.clear(code, this.clock()).catch((error: unknown) => this.deps.logger.warn("channel health window not cleared", { channel: code, error: (error as Error).message }));
  }

  /** The windows of these channels; null when Redis cannot say. */
  async figures(codes: readonly string[]): Promise<Map<string, CallFigures> | null> {
    if (codes.length === 0) return new Map();
    return this.window.read(codes, this.clock()).catch((error: unknown) => {
      this.deps.logger.warn("channel health window unavailable", { error: (error as Error).message });
      return null;
    });
  }

  /** What GET /admin/channels/:code shows of the channel's health. */
  view(channel: ChannelRecord, figures: CallFigures | null): HealthView {
    const calls = figures?.calls ?? null;
    const decided = figures ? figures.succeeded + figures.failed : 0;
    return {
      window: this.window.seconds,
      calls,
      errors: figures?.errors ?? null,
      successRate: figures ? round(successRate(figures.calls, figures.errors), 4) : null,
      orders: {
        succeeded: figures?.succeeded ?? null,
        failed: figures?.failed ?? null,
        successRate: figures && decided > 0 ? round(figures.succeeded / decided, 4) : null,
      },
      latencyMs: {
        p50: figures ? round(latencyPercentile(figures.histogram, 0.5), 1) : null,
        p95: figures ? round(latencyPercentile(figures.histogram, 0.95), 1) : null,
        avg: figures && figures.calls > 0 ? round(figures.latencySumMs / figures.calls, 1) : null,
      },
      consecutiveErrors: channel.consecutiveFailures,
      circuit: { state: channel.circuitState, openedAt: channel.circuitOpenedAt?.toISOString() ?? null },
    };
  }
}
