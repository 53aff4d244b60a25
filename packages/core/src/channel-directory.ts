import { ManualChannel, SimulatorChannel, type RechargeChannel } from "@topup/channels";
import type { Logger } from "@topup/config";
import type { ChannelRecord, ChannelRepository, Database, RouteRepository, UpstreamSettings } from "@topup/db";
import type { ChannelHealth } from "./channel-health";
import type { ChannelStanding, RoutingRoute } from "./routing";

/** What fulfilment routes with, as of one read of the database. */
export interface ChannelSnapshot {
  /** Every channel, enabled or not: an order already with a disabled channel is still asked about. */
  channels: ReadonlyMap<string, RechargeChannel>;
  standings: ReadonlyMap<string, ChannelStanding>;
  /** The enabled routes whose uid names an operator (or that set none). */
  routes: readonly RoutingRoute[];
}

export interface ChannelDirectoryOptions {
  db: Database;
  channels: ChannelRepository;
  routes: RouteRepository;
  simulatorStepMs: number;
  /** Builds the client of an upstream (a supplier speaking PROTOCOL §1–§9) from its settings. */
  upstream: (code: string, settings: UpstreamSettings) => RechargeChannel | null;
  logger: Logger;
  /** How long a snapshot serves before the next use reads the database again (default 2 s). */
  maxAgeMs?: number;
  /** Measures every client's calls (but a manual channel's: staff answer those, not a channel). */
  health?: ChannelHealth;
  /** For tests: a client of their own for a channel (undefined: the one its kind builds). */
  channelClient?: (record: ChannelRecord) => RechargeChannel | undefined;
}

/**
 * The channels and routes as configured through the admin API, read from the database at most
 * every maxAgeMs and shared by every order a worker handles meanwhile: a change takes effect within
 * that time in every process, and the hot path reads nothing. Channel clients are kept across reads
 * while their configuration is unchanged (an upstream's keep-alive connections).
 */
export class ChannelDirectory {
  private snapshot: ChannelSnapshot | null = null;
  private loadedAt = 0;
  private loading: Promise<ChannelSnapshot> | null = null;
  private loadingSince = 0;
  private readonly clients = new Map<string, { version: number; channel: RechargeChannel }>();

  constructor(private readonly options: ChannelDirectoryOptions) {}

  current(now = Date.now()): Promise<ChannelSnapshot> {
    return this.fresh(this.options.maxAgeMs ?? 2_000, now);
  }

  /**
   * A snapshot read at most `maxAgeMs` before `now`; fresh(0) is one read after `now`: what an
   * irreversible decision taken for want of a route (10 无可用渠道) is made on, so that a route an
   * administrator added before the order's step is never missed.
   */
  fresh(maxAgeMs = 250, now = Date.now()): Promise<ChannelSnapshot> {
    if (this.snapshot && now - this.loadedAt < maxAgeMs) return Promise.resolve(this.snapshot);
    // A read already under way serves only if it began recently enough itself.
    if (this.loading && now - this.loadingSince <= maxAgeMs) return this.loading;
    this.loadingSince = now;
    const loading = this.load().finally(() => {
      if (this.loading === loading) this.loading = null;
    });
    this.loading = loading;
    return loading;
  }

  /** The next use reads the database again (after an admin change in this process, in tests). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private async load(): Promise<ChannelSnapshot> {
    const started = Date.now();
    const [records, routes] = await Promise.all([this.options.channels.list(), this.options.routes.list()]);
    const limited = records.filter((c) => c.concurrency !== null).map((c) => c.code);
    const uids = [...new Set(routes.flatMap((r) => (r.uid === null ? [] : [r.uid])))];
    const [inFlight, operators] = await Promise.all([
      limited.length === 0
        ? Promise.resolve([])
        : this.options.db.query<{ channel_code: string; n: number }>(
            "channel_in_flight",
            "SELECT channel_code, count(*)::int AS n FROM channel_slots WHERE order_id IS NOT NULL AND channel_code = ANY($1::varchar[]) GROUP BY channel_code",
            [limited],
          ),
      uids.length === 0
        ? Promise.resolve([])
        : this.options.db.query<{ id: string; uid: string }>("route_operators", "SELECT id::text AS id, uid FROM operators WHERE uid = ANY($1::varchar[])", [uids]),
    ]);
    const busy = new Map(inFlight.map((row) => [row.channel_code, row.n]));
    const operatorIds = new Map(operators.map((row) => [row.uid, row.id]));

    const channels = new Map<string, RechargeChannel>();
    const standings = new Map<string, ChannelStanding>();
    for (const record of records) {
      const channel = await this.client(record);
      if (channel) channels.set(record.code, channel);
      standings.set(record.code, {
        code: record.code,
        enabled: record.enabled && channel !== null,
        circuit: record.circuitState,
        inFlight: busy.get(record.code) ?? 0,
        concurrency: record.concurrency,
        balance: record.balance,
      });
    }
    const enabledRoutes = routes.flatMap((route): RoutingRoute[] => {
      if (!route.enabled) return [];
      const operatorId = route.uid === null ? null : operatorIds.get(route.uid);
      if (operatorId === undefined) return []; // a uid no operator has: the route matches nothing
      return [{ ...route, operatorId }];
    });
    const snapshot = { channels, standings, routes: enabledRoutes };
    // Reads may overlap (fresh): one that began earlier never replaces a later one's snapshot.
    if (started >= this.loadedAt) {
      this.snapshot = snapshot;
      this.loadedAt = started;
    }
    return snapshot;
  }

  private async client(record: ChannelRecord): Promise<RechargeChannel | null> {
    const version = record.updatedAt.getTime();
    const known = this.clients.get(record.code);
    if (known && known.version === version) return known.channel;
    let channel = this.options.channelClient?.(record) ?? (await this.build(record));
    if (channel && record.kind !== "manual" && this.options.health) channel = this.options.health.measure(channel);
    if (channel) this.clients.set(record.code, { version, channel });
    return channel;
  }

  /** The client the channel's kind makes. */
  private async build(record: ChannelRecord): Promise<RechargeChannel | null> {
    if (record.kind === "simulator") return new SimulatorChannel(this.options.simulatorStepMs);
    if (record.kind === "manual") return new ManualChannel(record.code);
    const settings = await this.options.channels.upstreamCredentials(record.code);
    if (settings) return this.options.upstream(record.code, settings);
    this.options.logger.warn("upstream channel without its settings; not used", { channel: record.code });
    return null;
  }
}
