import { UpstreamChannel, type UpstreamConfig } from "@topup/channels";
import type { Logger, PlatformConfig } from "@topup/config";
import {
  AuditRepository,
  CallbackRepository,
  ChannelAttemptRepository,
  ChannelSlotRepository,
  ChannelRepository,
  createDatabase,
  LedgerRepository,
  OperatorRepository,
  OrderRepository,
  OrderSearch,
  ReportRepository,
  RouteRepository,
  type Database,
} from "@topup/db";
import { AddressMatcher, CallbackHttpClient, type LookupAll } from "@topup/net";
import { checkEvictionPolicy, createProducerConnection, createWorkerConnection, WorkQueues, type Redis } from "@topup/queue";
import type { RechargeChannel } from "@topup/channels";
import type { ChannelRecord } from "@topup/db";
import { PlatformMetrics } from "@topup/metrics";
import { isTerminal } from "@topup/protocol";
import { AdminService } from "./admin";
import { BalancePoller, type BalancePollerOptions } from "./balance-poller";
import { CallbackDelivery } from "./callback-delivery";
import { ChannelDirectory } from "./channel-directory";
import { ChannelHealth, type ChannelHealthOptions } from "./channel-health";
import { Fulfilment, FulfilmentScheduler } from "./fulfilment";
import { OperatorApi } from "./operator-api";
import { OperatorDirectory } from "./operator-directory";
import { OperatorUids } from "./order-log";
import { RateLimiter } from "./rate-limiter";
import { Reconciler } from "./reconciler";

export interface PlatformOptions {
  /** ingress: producer connections that fail fast; worker: connections that wait out Redis blips. */
  role: "ingress" | "worker";
  logger: Logger;
  /** For tests: resolve hostnames without real DNS. */
  lookup?: LookupAll;
  poolMax?: number;
  /** How long a read of the channels and routes serves fulfilment (default 2 s; ChannelDirectory). */
  channelsMaxAgeMs?: number;
  /** Upstream clients' timing (tests: a short first query and timeout instead of 5 s and 10 s). */
  upstream?: Pick<UpstreamConfig, "firstQueryMs" | "timeoutMs">;
  /** How overdue queued work must be before the reconciler re-creates it (default 15 s). */
  reconcileGraceMs?: number;
  /** The circuit breaker's thresholds and the health flush (docs/channels.md). */
  channelHealth?: ChannelHealthOptions;
  balancePolls?: BalancePollerOptions;
  /** For tests: a channel client of their own (undefined: the one the channel's kind builds). */
  channelClient?: (record: ChannelRecord) => RechargeChannel | undefined;
}

/**
 * The composition root shared by both services: one place that builds the repositories, queues and
 * use cases from the configuration. The apps only add HTTP or BullMQ around it.
 */
export class Platform {
  readonly db: Database;
  readonly redis: Redis;
  readonly queues: WorkQueues;
  readonly orders: OrderRepository;
  readonly operators: OperatorRepository;
  readonly ledger: LedgerRepository;
  readonly callbacks: CallbackRepository;
  readonly channels: ChannelRepository;
  readonly channelDirectory: ChannelDirectory;
  readonly channelHealth: ChannelHealth;
  readonly balancePoller: BalancePoller;
  readonly routes: RouteRepository;
  readonly channelAttempts: ChannelAttemptRepository;
  readonly slots: ChannelSlotRepository;
  readonly audit: AuditRepository;
  readonly directory: OperatorDirectory;
  readonly scheduler: FulfilmentScheduler;
  readonly operatorApi: OperatorApi;
  readonly admin: AdminService;
  readonly fulfilment: Fulfilment;
  readonly delivery: CallbackDelivery;
  readonly reconciler: Reconciler;
  readonly callbackHttp: CallbackHttpClient;
  readonly callbackAllowed: AddressMatcher;
  readonly metrics: PlatformMetrics;

  constructor(readonly config: PlatformConfig, readonly options: PlatformOptions) {
    const { logger } = options;
    this.callbackAllowed = AddressMatcher.parse(config.callbackAllowedCidrs);
    const trustedProxies = AddressMatcher.parse(config.trustedProxies);

    this.db = createDatabase(config.databaseUrl, { poolMax: options.poolMax });
    this.redis = options.role === "ingress" ? createProducerConnection(config.redisUrl) : createWorkerConnection(config.redisUrl);
    // Errors surface on the calls that fail; without a listener ioredis would also print each one.
    this.redis.on("error", (error: Error) => logger.debug("redis connection error", { error: error.message }));
    // At every (re)connection: a failover may land on a server configured otherwise.
    this.redis.on("ready", () => void checkEvictionPolicy(this.redis, (message, meta) => logger.warn(message, meta)));
    this.queues = new WorkQueues({
      connection: this.redis,
      prefix: config.queuePrefix,
      callbackBackoffMs: config.callbackBackoffMs,
      onError: (error) => logger.debug("queue connection error", { error: error.message }),
    });

    this.metrics = new PlatformMetrics(options.role, {
      queueDepths: async () => ({
        fulfilment: await this.queues.fulfilment.getJobCounts("wait", "active", "delayed", "prioritized", "failed"),
        callback: await this.queues.callback.getJobCounts("wait", "active", "delayed", "prioritized", "failed"),
      }),
      circuits: async () => (await this.channels.list()).map((c) => ({ channel: c.code, state: c.circuitState })),
    });
    const metrics = this.metrics;
    this.orders = new OrderRepository(this.db, {
      moved(from, to, order, attempt) {
        metrics.orderMoved(from, to, isTerminal(order.status) ? order : null);
        if (attempt) metrics.channelAttempt(attempt.channel, attempt.outcome);
      },
    });
    this.operators = new OperatorRepository(this.db);
    this.ledger = new LedgerRepository(this.db);
    this.callbacks = new CallbackRepository(this.db);
    this.channels = new ChannelRepository(this.db);
    this.routes = new RouteRepository(this.db);
    this.channelAttempts = new ChannelAttemptRepository(this.db);
    this.slots = new ChannelSlotRepository(this.db);
    this.audit = new AuditRepository(this.db);
    this.directory = new OperatorDirectory(this.operators);
    this.scheduler = new FulfilmentScheduler(this.queues, logger);
    this.callbackHttp = new CallbackHttpClient({ allowed: this.callbackAllowed, lookup: options.lookup });

    this.operatorApi = new OperatorApi({
      operators: this.directory,
      orders: this.orders,
      ledger: this.ledger,
      scheduler: this.scheduler,
      rateLimiter: new RateLimiter(this.redis, config.queuePrefix, logger),
      trustedProxies,
      callbackAllowed: this.callbackAllowed,
      logger,
      lookup: options.lookup,
      metrics: this.metrics,
    });
    this.channelHealth = new ChannelHealth({ channels: this.channels, redis: this.redis, prefix: config.queuePrefix, logger }, options.channelHealth);
    this.admin = new AdminService({
      operators: this.operators,
      directory: this.directory,
      orders: this.orders,
      ledger: this.ledger,
      callbacks: this.callbacks,
      channels: this.channels,
      routes: this.routes,
      channelAttempts: this.channelAttempts,
      search: new OrderSearch(this.db),
      reports: new ReportRepository(this.db),
      audit: this.audit,
      scheduler: this.scheduler,
      health: this.channelHealth,
      slots: this.slots,
      logger,
    });
    this.channelDirectory = new ChannelDirectory({
      db: this.db,
      channels: this.channels,
      routes: this.routes,
      simulatorStepMs: config.simulatorStepMs,
      upstream: (code, settings) => new UpstreamChannel(code, { ...settings, notifyUrl: channelNotifyUrl(config.publicBaseUrl, code), ...options.upstream }),
      logger,
      maxAgeMs: options.channelsMaxAgeMs,
      health: this.channelHealth,
      channelClient: options.channelClient,
    });
    this.balancePoller = new BalancePoller(this.channelDirectory, this.channels, logger, options.balancePolls);
    const uids = new OperatorUids(this.operators);
    this.fulfilment = new Fulfilment(this.orders, this.slots, this.channelDirectory, this.scheduler, uids, logger, { defaultChannel: config.defaultChannel });
    this.delivery = new CallbackDelivery(this.callbacks, this.callbackHttp, logger, config.callbackBackoffMs, this.metrics);
    this.reconciler = new Reconciler(this.orders, this.scheduler, this.slots, logger, {
      graceMs: options.reconcileGraceMs ?? 15_000,
      batchSize: 500,
    });
  }

  /**
   * /readyz: whether the database and Redis answer within `timeoutMs` (a worker's Redis connection
   * waits out outages, so an unbounded PING would hang the probe instead of failing it).
   */
  async readiness(timeoutMs = 2_000): Promise<{ ready: boolean; database: boolean; redis: boolean }> {
    const answers = async (work: () => Promise<unknown>): Promise<boolean> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
      const done = work().then(() => true, () => false);
      const answered = await Promise.race([done, late]);
      clearTimeout(timer);
      return answered;
    };
    const [database, redis] = await Promise.all([answers(() => this.db.query("readiness", "SELECT 1", [])), answers(() => this.redis.ping())]);
    return { ready: database && redis, database, redis };
  }

  async close(): Promise<void> {
    this.callbackHttp.close();
    await this.queues.close().catch(() => undefined);
    this.redis.disconnect();
    await this.db.close();
  }
}

/** Where a supplier calls this platform back about orders placed with channel `code` (PROTOCOL §12). */
export function channelNotifyUrl(publicBaseUrl: string, code: string): string {
  return `${publicBaseUrl.replace(/\/+$/, "")}/1/api/channel/${code}/notify`;
}
