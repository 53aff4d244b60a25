import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What a scrape reads at that moment (queue depths, circuits): never counted on the order path. */
export interface ScrapeSources {
  /** Jobs per state of each queue, e.g. { fulfilment: { wait: 3, delayed: 10 }, callback: {…} }. */
  queueDepths?: () => Promise<Record<string, Record<string, number>>>;
  /** Each channel's circuit: closed, open or half_open. */
  circuits?: () => Promise<{ channel: string; state: string }[]>;
}

const CIRCUIT_STATES = ["closed", "half_open", "open"] as const;
/** Seconds: from a push being stored to its final status, or to its callback being acknowledged. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * The platform's Prometheus metrics, one registry per process (`topup_` prefix). Counters are
 * incremented where the events happen, in memory; gauges of what Redis and the database hold are
 * read only when scraped.
 */
export class PlatformMetrics {
  readonly registry = new Registry();
  private readonly accepted: Counter<"">;
  private readonly rejected: Counter<"reason">;
  private readonly transitions: Counter<"from" | "to">;
  private readonly channelAttempts: Counter<"channel" | "outcome">;
  private readonly callbackAttempts: Counter<"outcome">;
  private readonly pushToFinal: Histogram<"status">;
  private readonly pushToCallback: Histogram<"">;

  constructor(service: "ingress" | "worker", sources: ScrapeSources = {}) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: "topup_process_" });
    // Gauges named like counters, which Prometheus's own lint (promtool check metrics) refuses.
    for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"]) this.registry.removeSingleMetric(`topup_process_nodejs_${name}`);
    this.accepted = new Counter({ name: "topup_orders_accepted_total", help: "Pushes stored as new orders", registers });
    this.rejected = new Counter({ name: "topup_orders_rejected_total", help: "Pushes answered with an error, by the contract's message", labelNames: ["reason"], registers });
    this.transitions = new Counter({ name: "topup_order_transitions_total", help: "Order status changes committed", labelNames: ["from", "to"], registers });
    this.channelAttempts = new Counter({ name: "topup_channel_attempts_total", help: "Channel answers recorded on an order's attempt, by outcome", labelNames: ["channel", "outcome"], registers });
    this.callbackAttempts = new Counter({ name: "topup_callback_attempts_total", help: "Callback attempts to operators, by outcome", labelNames: ["outcome"], registers });
    this.pushToFinal = new Histogram({ name: "topup_push_to_final_seconds", help: "From a push stored to its order's final status", labelNames: ["status"], buckets: LATENCY_BUCKETS, registers });
    this.pushToCallback = new Histogram({ name: "topup_push_to_callback_seconds", help: "From a push stored to its callback acknowledged", buckets: LATENCY_BUCKETS, registers });
    if (sources.queueDepths) {
      const read = sources.queueDepths;
      new Gauge({
        name: "topup_queue_jobs",
        help: "Jobs in each queue by state, read at scrape time",
        labelNames: ["queue", "state"],
        registers,
        async collect() {
          this.reset();
          for (const [queue, states] of Object.entries(await read())) {
            for (const [state, n] of Object.entries(states)) this.set({ queue, state }, n);
          }
        },
      });
    }
    if (sources.circuits) {
      const read = sources.circuits;
      new Gauge({
        name: "topup_channel_circuit_state",
        help: "1 for each channel's current circuit state (closed, half_open, open), read at scrape time",
        labelNames: ["channel", "state"],
        registers,
        async collect() {
          this.reset();
          for (const { channel, state } of await read()) {
            for (const s of CIRCUIT_STATES) this.set({ channel, state: s }, s === state ? 1 : 0);
          }
        },
      });
    }
  }

  orderAccepted(): void {
    this.accepted.inc();
  }

  orderRejected(reason: string): void {
    this.rejected.inc({ reason });
  }

  /** A committed path from → … → the last step; `createdAt` dates the push when the path ends final. */
  orderMoved(from: number, steps: readonly number[], final: { createdAt: Date } | null): void {
    let at = from;
    for (const to of steps) {
      this.transitions.inc({ from: String(at), to: String(to) });
      at = to;
    }
    if (final) this.pushToFinal.observe({ status: String(at) }, secondsSince(final.createdAt));
  }

  channelAttempt(channel: string, outcome: string): void {
    this.channelAttempts.inc({ channel, outcome });
  }

  callbackAttempt(outcome: string, orderCreatedAt: Date): void {
    this.callbackAttempts.inc({ outcome });
    if (outcome === "acked") this.pushToCallback.observe(secondsSince(orderCreatedAt));
  }

  /** The exposition text and its content type, for a /metrics handler. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

function secondsSince(at: Date): number {
  return Math.max(0, (Date.now() - at.getTime()) / 1000);
}
