/**
 * One scenario's platform: its own database (cloned from a migrated template on the private
 * PostgreSQL), its own queue prefix on the private Redis, N ingress and M worker processes, and an
 * operator created through the admin API.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { PlatformProcess } from "./processes";
import type { PrivatePostgres, PrivateRedis } from "./services";

export const ADMIN_TOKEN = `faults-${randomBytes(12).toString("hex")}`;
/** Short callback backoff so that three attempts fit in a scenario (attempt n+1 starts 200 × 2^(n−1) ms after attempt n). */
export const CALLBACK_BACKOFF_MS = 200;

export interface ClusterOptions {
  name: string;
  ingress: number;
  workers: number;
  logDir: string;
  /** First loopback port for this cluster's ingress processes (two per ingress: operator, admin). */
  basePort: number;
  env?: Record<string, string>;
}

export interface Operator {
  uid: string;
  key: string;
  rateBp: number;
}

export class Cluster {
  readonly database: string;
  readonly databaseUrl: string;
  readonly queuePrefix: string;
  readonly ingress: PlatformProcess[] = [];
  readonly workers: PlatformProcess[] = [];

  constructor(
    readonly pg: PrivatePostgres,
    readonly redis: PrivateRedis,
    readonly opts: ClusterOptions,
  ) {
    this.database = `faults_${opts.name.replace(/[^a-z0-9]/gi, "_").toLowerCase()}`;
    this.databaseUrl = pg.url(this.database);
    this.queuePrefix = `faults-${opts.name}-${randomBytes(3).toString("hex")}`;
    const env = {
      ADMIN_HOST: "127.0.0.1",
      ADMIN_TOKEN,
      DATABASE_URL: this.databaseUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: this.queuePrefix,
      CALLBACK_ALLOWED_CIDRS: "127.0.0.1/32",
      CALLBACK_BACKOFF_MS: String(CALLBACK_BACKOFF_MS),
      SIMULATOR_STEP_MS: "20",
      DEFAULT_CHANNEL: "simulator",
      // Where upstream suppliers call back (the notify_url workers push): the first ingress.
      PUBLIC_BASE_URL: `http://127.0.0.1:${opts.basePort}`,
      LOG_LEVEL: "info",
      ...opts.env,
    };
    for (let i = 0; i < opts.ingress; i++) {
      const port = opts.basePort + 2 * i;
      const adminPort = port + 1;
      this.ingress.push(
        new PlatformProcess(
          "ingress",
          `ingress-${i + 1}`,
          { ...env, PORT: String(port), ADMIN_PORT: String(adminPort) },
          join(opts.logDir, `ingress-${i + 1}.log`),
          port,
          adminPort,
        ),
      );
    }
    for (let i = 0; i < opts.workers; i++) {
      // A worker opens only its metrics port: any free one (several workers share this host).
      this.workers.push(new PlatformProcess("worker", `worker-${i + 1}`, { ...env, PORT: "0", ADMIN_PORT: "0", WORKER_METRICS_PORT: "0" }, join(opts.logDir, `worker-${i + 1}.log`)));
    }
  }

  get all(): PlatformProcess[] {
    return [...this.ingress, ...this.workers];
  }

  ingressUrls(): string[] {
    return this.ingress.map((p) => p.baseUrl);
  }

  async start(template: string): Promise<void> {
    await this.pg.query("postgres", `DROP DATABASE IF EXISTS "${this.database}" WITH (FORCE)`);
    await this.pg.query("postgres", `CREATE DATABASE "${this.database}" TEMPLATE "${template}"`);
    await Promise.all(this.all.map((p) => p.start()));
  }

  /** One admin API call on the first ingress; resolves to the status and the JSON answer. */
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${this.ingress[0].adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async createOperator(rateBp = 9900): Promise<Operator> {
    const res = await this.admin("POST", "/admin/operators", { name: `故障演练-${this.opts.name}`, rateBp });
    const { uid, md5key } = res.body as { uid?: string; md5key?: string };
    if (res.status !== 201 || !uid || !md5key) throw new Error(`operator not created: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    return { uid, key: md5key, rateBp };
  }

  /** SIGTERM everything (bounded), SIGKILL what is left, close the logs. */
  async stop(): Promise<void> {
    await Promise.all(this.all.map((p) => p.stop(15_000)));
    for (const p of this.all) p.close();
  }
}
