import winston from "winston";
import type { Logger, PlatformConfig } from "@topup/config";
import { startIngress, type Ingress } from "../../apps/ingress/src";
import { startWorker, type WorkerOptions, type WorkerService } from "../../apps/worker/src";
import { CallbackReceiver } from "./callback-receiver";
import { OperatorClient } from "./operator-client";
import { createTestDatabase, uniqueQueuePrefix } from "./test-database";
import IORedis from "ioredis";
import net from "node:net";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

/** Quiet unless TEST_LOGS=1: the platform's own logs, for debugging a failing test. */
export function testLogger(): Logger {
  return winston.createLogger({
    silent: process.env.TEST_LOGS !== "1",
    transports: [new winston.transports.Console({ format: winston.format.simple() })],
  });
}

export interface Stack {
  config: PlatformConfig;
  ingress: Ingress;
  worker: WorkerService | null;
  receiver: CallbackReceiver;
  baseUrl: string;
  adminUrl: string;
  admin(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }>;
  /** Creates an operator through the admin API and returns a client signing with its key. */
  createOperator(input?: Record<string, unknown>): Promise<OperatorClient>;
  close(): Promise<void>;
}

export interface StackOptions {
  config?: Partial<PlatformConfig>;
  /** Overrides for the worker only (e.g. a narrower CALLBACK_ALLOWED_CIDRS than the ingress had). */
  workerConfig?: Partial<PlatformConfig>;
  logger?: Logger;
  /** The worker's own logger (default: `logger`), to tell the two services' lines apart. */
  workerLogger?: Logger;
  worker?: boolean | WorkerOptions;
  /** Listen on a free port chosen up front, with PUBLIC_BASE_URL naming it: suppliers can call this instance back. */
  reachable?: boolean;
}

/** A loopback port free right now (the kernel's choice for port 0). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The whole platform in this process: a fresh database, its own queue prefix, ingress, worker, and a callback receiver. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database = await createTestDatabase();
  const port = options.reachable ? await freePort() : 0;
  const config: PlatformConfig = {
    port,
    adminPort: 0,
    adminHost: "127.0.0.1",
    workerMetricsPort: 0,
    workerMetricsHost: "127.0.0.1",
    adminToken: ADMIN_TOKEN,
    databaseUrl: database.url,
    redisUrl: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    queuePrefix: uniqueQueuePrefix(),
    callbackAllowedCidrs: "127.0.0.1/32",
    callbackBackoffMs: 50,
    simulatorStepMs: 10,
    defaultChannel: "simulator",
    publicBaseUrl: `http://127.0.0.1:${port || 8088}`,
    trustedProxies: "",
    logLevel: "error",
    ...options.config,
  };
  const logger = options.logger ?? testLogger();
  const receiver = await new CallbackReceiver().start();
  const ingress = await startIngress(config, logger, { poolMax: 5 });
  const workerOptions = typeof options.worker === "object" ? options.worker : {};
  const worker =
    options.worker === false
      ? null
      : await startWorker({ ...config, ...options.workerConfig }, options.workerLogger ?? logger, { poolMax: 5, reconcileEveryMs: 0, ...workerOptions });
  const baseUrl = `http://127.0.0.1:${ingress.operatorPort}`;
  const adminUrl = `http://127.0.0.1:${ingress.adminPort}`;

  const admin: Stack["admin"] = async (method, path, body, token = ADMIN_TOKEN) => {
    const res = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  return {
    config,
    ingress,
    worker,
    receiver,
    baseUrl,
    adminUrl,
    admin,
    async createOperator(input = {}) {
      const res = await admin("POST", "/admin/operators", { name: "测试运营商", ...input });
      if (res.status !== 201) throw new Error(`operator not created: ${res.status} ${JSON.stringify(res.body)}`);
      return new OperatorClient(baseUrl, res.body.uid, res.body.md5key);
    },
    async close() {
      await worker?.close();
      await ingress.close();
      await receiver.close();
      await clearQueues(config.redisUrl, config.queuePrefix);
      await database.drop();
    },
  };
}

export async function clearQueues(redisUrl: string, prefix: string): Promise<void> {
  const redis = new IORedis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Polls `check` until it returns a value (not undefined) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
