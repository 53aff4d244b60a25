/**
 * `npm run bench` — the platform's benchmark (issue #4): throughput, latency, CPU, statements and
 * memory of the real processes, next to the ceilings of what they are built on, in one bounded run.
 *
 * 1. baselines: a bare Express 5 app; raw single-row INSERTs through `pg`; BullMQ add / no-op process.
 * 2. ingress (stack A: N ingress processes, no worker): saturation, then latency at 50% and 80%.
 * 3. end to end (stack B: N ingress + M workers, SIMULATOR_STEP_MS=0): capacity with a bounded
 *    window of orders in flight, then push→callback latency at fixed rates.
 * Each stack gets a fresh database (cloned from a freshly migrated template) and its own
 * QUEUE_PREFIX; everything is dropped/deleted at the end. All traffic stays on 127.0.0.1.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { join, resolve } from "node:path";
import IORedis from "ioredis";
import { Client } from "pg";
import { parseOptions, type Options, type PhaseGroup } from "./lib/options";
import {
  adminQuery,
  backendPids,
  createDatabase,
  dbCounters,
  dbUrl,
  dropDatabase,
  machinePg,
  migrate,
  privatePg,
  resetStatements,
  serverSettings,
  statements,
  tableCounters,
  WaitSampler,
  type PgServer,
} from "./lib/pg";
import { cpuBetween, freePort, PlatformProcess, Sampler, type Snapshot } from "./lib/proc";
import { commandDelta, commandStats, deletePrefix, serverPid, type CommandStats } from "./lib/redis";
import { printReport } from "./lib/report";
import { summarizeProfile } from "./lib/profile";
import { targetBounds } from "./lib/bounds";
import { Child } from "./lib/rpc";
import { median, round, slope } from "./lib/stats";

const ROOT = resolve(__dirname, "..");
const hrUs = () => Number(process.hrtime.bigint() / 1000n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `pct` % of a rate, as a whole number of requests per second (at least 1). */
const share = (ratePerS: number, pct: number) => Math.max(1, Math.round((ratePerS * pct) / 100));
/** Interleaved Express/ingress pairs for the paired ratio (see Bench.pairedRatio). */
const PAIRED_ROUNDS = 5;
const PAIRED_SECONDS = 4;
/** The chained phase's fixed push rate (issue 18's latency target) and A's prepaid funds at B. */
const CHAIN_RATE = 400;
const CHAIN_PREPAID_FEN = 10_000_000_000;

interface Stack {
  name: string;
  db: string;
  prefix: string;
  ingress: PlatformProcess[];
  workers: PlatformProcess[];
  urls: string[];
  /** The first ingress process's admin API. */
  adminUrl: string;
  uid: string;
  key: string;
}

interface StackOptions {
  /** Platform environment beyond the bench's defaults. */
  env?: Record<string, string>;
  /** Runs once the ingress is up and the stack's operator exists, before the workers start. */
  beforeWorkers?: (stack: Stack) => Promise<void>;
}

interface PhaseRecord<T> {
  name: string;
  result: T;
  window: { fromUs: number; toUs: number; fromMs: number; toMs: number };
  cpuMs: { byProcess: Record<string, number>; byGroup: Record<string, number> };
  redisCommands: CommandStats;
  /** PostgreSQL backends of the run by state (sampled every 100 ms): where database time goes. */
  pgWaits: { samples: number; avgBackends: Record<string, number> };
  /** Per platform process: request latency measured inside the server, and event-loop delay. */
  serverTiming: Record<string, unknown>;
}

class Bench {
  readonly id = `${new Date().toISOString().replace(/[-:]/g, "").replace("T", "_").slice(0, 15)}_${randomBytes(2).toString("hex")}`;
  readonly dbPrefix = `bench_${this.id.toLowerCase()}`;
  readonly outDir: string;
  readonly profileDir: string;
  /** Where the platform processes' server-timing preload writes its summaries (lib/server-timing.cjs). */
  readonly timingDir: string;
  readonly adminToken = randomBytes(16).toString("hex");
  pg!: PgServer;
  redis!: IORedis;
  monitor!: Client;
  waitMonitor!: Client;
  readonly sampler = new Sampler();
  operator!: Child;
  private readonly children: Child[] = [];
  private readonly stacks: Stack[] = [];
  private readonly databases: string[] = [];
  private readonly prefixes: string[] = [];
  readonly phases: PhaseRecord<unknown>[] = [];
  /** Bare Express processes, preloaded with lib/server-timing.cjs like the platform's. */
  private readonly timedExpress: Child[] = [];
  readonly notes: string[] = [];
  private torn = false;

  constructor(readonly opts: Options) {
    this.outDir = join(ROOT, "bench", "results", this.id);
    this.profileDir = join(this.outDir, "profiles");
    mkdirSync(this.profileDir, { recursive: true });
    this.timingDir = join(this.outDir, "timing");
    mkdirSync(this.timingDir, { recursive: true });
  }

  log(msg: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  }

  // ------------------------------------------------------------------ infrastructure

  async setUp(): Promise<void> {
    this.pg = this.opts.pgss || this.opts.autovacuum ? await privatePg(this.id, { autovacuum: this.opts.autovacuum }) : machinePg();
    this.log(`PostgreSQL: ${this.pg.kind} (${this.pg.base})${this.pg.pgss ? " with pg_stat_statements" : ""}`);
    this.monitor = new Client({ connectionString: dbUrl(this.pg, "postgres") });
    await this.monitor.connect();
    this.waitMonitor = new Client({ connectionString: dbUrl(this.pg, "postgres") });
    await this.waitMonitor.connect();
    this.redis = new IORedis(this.opts.redisUrl, { maxRetriesPerRequest: 3 });
    const redisPid = await serverPid(this.redis);
    const redisLocal = /127\.0\.0\.1|localhost/.test(this.opts.redisUrl);
    if (redisLocal && redisPid > 0) this.sampler.track({ key: "redis-server", group: "redis", pid: redisPid });
    this.sampler.refresh = async () => {
      for (const b of await backendPids(this.monitor, this.dbPrefix)) {
        const key = `pg-${b.pid}`;
        if (!this.sampler.trackedKeys().includes(key)) {
          this.sampler.track({ key, group: b.datname ? "postgres" : "postgres (background, shared)", pid: b.pid });
        }
      }
    };
    this.sampler.start(1000);

    const template = `${this.dbPrefix}_tpl`;
    await createDatabase(this.pg, template);
    this.databases.push(template);
    this.log(`migrating template database ${template}`);
    migrate(ROOT, dbUrl(this.pg, template));

    this.operator = this.startChild("operator", "bench/lib/operator-child.ts", "operator");
    await this.operator.ready();
    const init = await this.operator.call<{ callbackUrl: string }>("init");
    this.log(`callback receiver on ${init.callbackUrl}`);
  }

  startChild(name: string, script: string, group: string, nodeArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Child {
    const child = Child.start(name, script, { cwd: ROOT, logFile: join(this.outDir, `${name}.log`), nodeArgs, env: { NODE_ENV: "production", ...env } });
    this.children.push(child);
    this.sampler.track({ key: name, group, pid: child.pid });
    return child;
  }

  async newDatabase(name: string): Promise<string> {
    const db = `${this.dbPrefix}_${name}`;
    await createDatabase(this.pg, db, `${this.dbPrefix}_tpl`);
    this.databases.push(db);
    return db;
  }

  newPrefix(name: string): string {
    const prefix = `bench-${this.id}-${name}`;
    this.prefixes.push(prefix);
    return prefix;
  }

  async startStack(name: string, ingressCount: number, workerCount: number, options: StackOptions = {}): Promise<Stack> {
    const db = await this.newDatabase(name);
    const prefix = this.newPrefix(name);
    const common = {
      ...process.env,
      NODE_ENV: "production",
      ADMIN_HOST: "127.0.0.1",
      ADMIN_TOKEN: this.adminToken,
      DATABASE_URL: dbUrl(this.pg, db),
      REDIS_URL: this.opts.redisUrl,
      QUEUE_PREFIX: prefix,
      CALLBACK_ALLOWED_CIDRS: "127.0.0.1/32",
      SIMULATOR_STEP_MS: "0",
      DEFAULT_CHANNEL: "simulator",
      LOG_LEVEL: "warn",
      BENCH_TIMING_DIR: this.timingDir,
      ...options.env,
    };
    const profileDir = this.opts.profile ? this.profileDir : undefined;
    const ingress: PlatformProcess[] = [];
    const urls: string[] = [];
    const adminPorts: number[] = [];
    for (let i = 0; i < ingressCount; i++) {
      const port = await freePort();
      const adminPort = await freePort();
      const pname = `${name}-ingress-${i}`;
      const p = PlatformProcess.start(pname, "ingress", {
        cwd: ROOT,
        env: { ...common, PORT: String(port), ADMIN_PORT: String(adminPort) },
        logFile: join(this.outDir, `${pname}.log`),
        profileDir,
      });
      ingress.push(p);
      this.sampler.track({ key: pname, group: "ingress", pid: p.pid });
      urls.push(`http://127.0.0.1:${port}`);
      adminPorts.push(adminPort);
    }
    await resetStatements(this.pg, db);
    const stack: Stack = { name, db, prefix, ingress, workers: [], urls, adminUrl: `http://127.0.0.1:${adminPorts[0]}`, uid: "", key: "" };
    this.stacks.push(stack);
    for (let i = 0; i < ingressCount; i++) await this.waitHealthy(ingress[i], adminPorts[i]);

    const operator = await this.admin<{ uid: string; md5key: string }>(stack, "POST", "/admin/operators", { name: "压测运营商", rateBp: 9900 });
    stack.uid = operator.uid;
    stack.key = operator.md5key;
    await options.beforeWorkers?.(stack);

    for (let i = 0; i < workerCount; i++) {
      const pname = `${name}-worker-${i}`;
      const p = PlatformProcess.start(pname, "worker", { cwd: ROOT, env: { PUBLIC_BASE_URL: urls[0], ...common, PORT: "0", ADMIN_PORT: "0", WORKER_METRICS_PORT: "0" }, logFile: join(this.outDir, `${pname}.log`), profileDir });
      stack.workers.push(p);
      this.sampler.track({ key: pname, group: "worker", pid: p.pid });
    }
    await this.operator.call("setOperator", { uid: stack.uid, key: stack.key });
    this.log(`stack ${name}: ${ingressCount} ingress, ${workerCount} worker, db ${db}, prefix ${prefix}, operator ${stack.uid}`);
    return stack;
  }

  /** An admin API call that must succeed (2xx); its JSON answer. */
  async admin<T>(stack: Stack, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.adminToken}`, "content-type": "application/json", "x-admin-actor": "bench" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path} at stack ${stack.name}: HTTP ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  }

  async waitHealthy(p: PlatformProcess, adminPort: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (p.exited) throw new Error(`${p.name} exited (${p.exited.code ?? p.exited.signal}):\n${p.logTail()}`);
      try {
        const r = await fetch(`http://127.0.0.1:${adminPort}/healthz`);
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`${p.name} not healthy after 60 s:\n${p.logTail()}`);
  }

  async stopStack(stack: Stack): Promise<void> {
    await Promise.all([...stack.workers, ...stack.ingress].map((p) => p.stop()));
    for (const p of [...stack.workers, ...stack.ingress]) {
      if (p.exited && p.exited.code !== 0) this.notes.push(`${p.name} exited with ${p.exited.code ?? p.exited.signal}; log: ${p.logFile}`);
    }
  }

  /**
   * Asks every live platform process for its server-side request latency and event-loop delay since
   * the last ask (SIGUSR2 → lib/server-timing.cjs), keyed by process name.
   */
  async serverTiming(): Promise<Record<string, unknown>> {
    const live = [...this.stacks.flatMap((s) => [...s.ingress, ...s.workers]), ...this.timedExpress].filter((p) => !p.exited);
    const out: Record<string, unknown> = {};
    await Promise.all(
      live.map(async (p) => {
        const file = join(this.timingDir, `${p.pid}.json`);
        rmSync(file, { force: true });
        p.proc.kill("SIGUSR2");
        for (let i = 0; i < 40 && !existsSync(file); i++) await sleep(50);
        try {
          out[p.name] = JSON.parse(readFileSync(file, "utf8"));
        } catch {
          // the process did not answer in 2 s; the phase simply has no server-side figures for it
        }
      }),
    );
    return out;
  }

  async phase<T>(name: string, run: () => Promise<T>): Promise<PhaseRecord<T>> {
    await this.serverTiming(); // starts every process's measurement afresh
    const s0: Snapshot = await this.sampler.snapshot();
    const r0 = await commandStats(this.redis);
    const fromUs = hrUs();
    const fromMs = Date.now();
    this.log(`phase ${name} …`);
    const waits = new WaitSampler(this.waitMonitor, this.dbPrefix);
    waits.start(100);
    const result = await run().finally(() => waits.stop());
    const pgWaits = waits.stop();
    const toUs = hrUs();
    const toMs = Date.now();
    const serverTiming = await this.serverTiming();
    const s1 = await this.sampler.snapshot();
    const r1 = await commandStats(this.redis);
    const rec: PhaseRecord<T> = { name, result, window: { fromUs, toUs, fromMs, toMs }, cpuMs: cpuBetween(s0, s1), redisCommands: commandDelta(r0, r1), pgWaits, serverTiming };
    this.phases.push(rec);
    return rec;
  }

  // ------------------------------------------------------------------ phases

  async baselines(): Promise<Record<string, unknown>> {
    const o = this.opts;
    const out: Record<string, unknown> = {};

    // Bare Express, as many processes as ingress, same body, same load generator.
    const { express, urls } = await this.startExpress("express", o.profile);
    await this.operator.call("setOperator", { uid: "1234567", key: "0123456789abcdef0123456789abcdef" });
    if (o.warmup > 0) await this.operator.call("saturate", { urls, connections: o.connections, duration: Math.min(o.warmup, 2), tag: "bxw" });
    const ex = await this.phase("baseline-express", () => this.operator.call("saturate", { urls, connections: o.connections, duration: o.baselineDuration, tag: "bx" }));
    out.express = { processes: o.ingress, ...(ex.result as object) };
    await Promise.all(express.map((c) => c.stop()));

    // Raw INSERTs through pg into a fresh database.
    const db = await this.newDatabase("base");
    const [{ id: operatorId }] = await adminQuery<{ id: string }>(
      this.pg,
      `WITH op AS (INSERT INTO operators (uid, name, md5_key) VALUES ('9999999', 'baseline', repeat('0', 32)) RETURNING id),
            acc AS (INSERT INTO accounts (operator_id) SELECT id FROM op)
       SELECT id::text FROM op`,
      [],
      db,
    );
    const ins = this.startChild("insert-baseline", "bench/lib/insert-child.ts", "baseline: pg client");
    await ins.ready();
    const poolMax = 10 * o.ingress; // the ingress processes' pools together (Platform default poolMax 10)
    for (const mode of ["simple", "cte"] as const) {
      const rec = await this.phase(`baseline-insert-${mode}`, () =>
        ins.call("run", { databaseUrl: dbUrl(this.pg, db), mode, operatorId, connections: o.connections, poolMax, duration: o.baselineDuration, tag: `b${mode[0]}` }),
      );
      out[`insert_${mode}`] = rec.result;
    }
    await ins.stop();

    // BullMQ add and no-op processing on the same Redis.
    const prefix = this.newPrefix("bullmq");
    const bq = this.startChild("bullmq-baseline", "bench/lib/bullmq-child.ts", "baseline: bullmq client");
    await bq.ready();
    const add = await this.phase("baseline-bullmq-add", () =>
      bq.call("add", { redisUrl: o.redisUrl, prefix, connections: o.connections, duration: o.baselineDuration, maxJobs: 50_000 }),
    );
    const added = (add.result as { added: number }).added;
    const proc = await this.phase("baseline-bullmq-process", () =>
      bq.call("process", { redisUrl: o.redisUrl, prefix, concurrency: 50, expected: added, timeoutS: Math.max(30, o.baselineDuration * 4) }),
    );
    out.bullmq_add = add.result;
    out.bullmq_process = proc.result;
    await bq.stop();
    await deletePrefix(this.redis, prefix);
    return out;
  }

  /** As many bare Express processes as ingress processes (the framework's ceiling). */
  private async startExpress(name: string, profile: boolean): Promise<{ express: Child[]; urls: string[] }> {
    const express: Child[] = [];
    const urls: string[] = [];
    for (let i = 0; i < this.opts.ingress; i++) {
      // Preloaded with the ingress's in-process timing too, so both sides carry the same instrumentation.
      const nodeArgs = [...(profile ? ["--cpu-prof", `--cpu-prof-dir=${this.profileDir}/${name}-${i}`] : []), "--require", `${ROOT}/bench/lib/server-timing.cjs`];
      const c = this.startChild(`${name}-${i}`, "bench/lib/express-child.ts", "baseline: express", nodeArgs, { BENCH_TIMING_DIR: this.timingDir });
      this.timedExpress.push(c);
      await c.ready();
      const { port } = await c.call<{ port: number }>("listen", { port: await freePort() });
      express.push(c);
      urls.push(`http://127.0.0.1:${port}`);
    }
    return { express, urls };
  }

  /**
   * Ingress ÷ bare Express as interleaved pairs: with the ingress stack and a bare Express app up
   * together, saturate Express, then the ingress, PAIRED_ROUNDS times, PAIRED_SECONDS each, with the
   * same pushes (the stack's operator). The VM's speed drifts by up to ±20 % within seconds and by
   * more over a run, so the baseline measured minutes earlier can be off by that much; within a pair
   * the drift falls on both sides. The median of the pairs' ratios is reported next to the plain one.
   */
  private async pairedRatio(ingressUrls: string[], rateAt80pct: number): Promise<Record<string, unknown>> {
    const o = this.opts;
    const { express, urls } = await this.startExpress("express-paired", false);
    try {
      await this.operator.call("saturate", { urls, connections: o.connections, duration: 2, tag: "pxw" }); // warm-up
      const rounds: { expressPerS: number; ingressPerS: number; ratio: number }[] = [];
      for (let i = 0; i < PAIRED_ROUNDS; i++) {
        const ex = await this.operator.call<{ ratePerS: number }>("saturate", { urls, connections: o.connections, duration: PAIRED_SECONDS, tag: `px${i}` });
        const ing = await this.operator.call<{ ratePerS: number }>("saturate", { urls: ingressUrls, connections: o.connections, duration: PAIRED_SECONDS, tag: `pi${i}` });
        rounds.push({ expressPerS: round(ex.ratePerS, 1), ingressPerS: round(ing.ratePerS, 1), ratio: round(ing.ratePerS / ex.ratePerS, 3) });
      }
      // What the bare app's latency is on this box, which it shares with the load generator,
      // PostgreSQL and Redis like the ingress: at the ingress's 80 % rate, and at 80 % of its own
      // saturation (the target's load, applied to the framework's ceiling).
      const paced = async (name: string, rate: number, tag: string) =>
        (await this.phase(name, () => this.operator.call("paced", { urls, rate, duration: o.duration, connections: o.connections, tag }))).result;
      return {
        rounds,
        secondsEach: PAIRED_SECONDS,
        medianRatio: median(rounds.map((r) => r.ratio)),
        expressAtIngress80pct: await paced("express-at-ingress-80pct", rateAt80pct, "px80"),
        expressAtOwn80pct: await paced("express-own-80pct", share(median(rounds.map((r) => r.expressPerS)), 80), "pxo80"),
      };
    } finally {
      await Promise.all(express.map((c) => c.stop()));
    }
  }

  async ingressPhases(): Promise<Record<string, unknown>> {
    const o = this.opts;
    const stack = await this.startStack("ingress", o.ingress, 0);
    if (o.warmup > 0) await this.operator.call("saturate", { urls: stack.urls, connections: o.connections, duration: o.warmup, tag: "iw" });
    const sat = await this.phase("ingress-saturate", () => this.operator.call("saturate", { urls: stack.urls, connections: o.connections, duration: o.duration, tag: "is" }));
    const satRate = (sat.result as { ratePerS: number }).ratePerS;
    const at: Record<string, unknown> = {};
    for (const pct of [50, 80]) {
      const rate = share(satRate, pct);
      const rec = await this.phase(`ingress-${pct}pct`, () => this.operator.call("paced", { urls: stack.urls, rate, duration: o.duration, connections: o.connections, tag: `ip${pct}` }));
      at[`at${pct}pct`] = rec.result;
    }
    const paired = await this.pairedRatio(stack.urls, share(satRate, 80));
    const { counters, tables, stmts, byTag, totalOrders } = await this.stopAndCount(stack);
    return {
      stack: { ingress: o.ingress, workers: 0, db: stack.db, prefix: stack.prefix },
      saturation: sat.result,
      ...at,
      pairedWithBareExpress: paired,
      database: {
        ordersStored: totalOrders,
        byTag,
        statementsPerPush: round(counters.xact_commit / Math.max(1, totalOrders)),
        statementsCountedBy: this.pg.pgss ? "pg_stat_statements (private cluster)" : "pg_stat_database xact_commit of the run's own database",
        counters,
        tables,
        statements: stmts,
      },
    };
  }

  async e2ePhases(): Promise<Record<string, unknown>> {
    const o = this.opts;
    const stack = await this.startStack("e2e", o.ingress, o.workers);
    const base = { urls: stack.urls, connections: o.connections, drainTimeoutS: o.drainTimeout, warmS: Math.min(2, o.duration / 5) };
    // Warm-up and proof that the whole pipeline works before anything is measured.
    const warm = await this.operator.call("e2ePaced", { ...base, rate: 100, duration: Math.max(1, o.warmup), tag: "ew", drainTimeoutS: 60 });
    if (!warm.drained) {
      throw new Error(
        `end-to-end warm-up did not complete (${warm.callbacks}/${warm.pushed.accepted} callbacks):\n${stack.workers.map((w) => w.logTail()).join("\n")}`,
      );
    }
    const cap = await this.phase("e2e-capacity", () => this.operator.call("e2eClosed", { ...base, window: o.e2eWindow, duration: o.duration, tag: "ec" }));
    const capRate = (cap.result as { sustainedRatePerS: number }).sustainedRatePerS;
    // Fixed rates above what the stack carries would only build a backlog that cannot drain in a
    // bounded run (and would spill into later phases): such a rate is reported as not sustainable,
    // and latency is measured at half the capacity instead (unless --force-rates).
    const atRate: Record<string, unknown> = {};
    const rates = [...new Set(o.e2eRates)].sort((a, b) => a - b);
    const runnable = rates.filter((r) => o.forceRates || r <= capRate * 0.9);
    for (const r of rates) {
      if (!runnable.includes(r)) atRate[String(r)] = { skipped: true, reason: `above 90% of the measured capacity (${Math.round(capRate)}/s): not sustainable; --force-rates runs it anyway` };
    }
    const half = share(capRate, 50);
    if (half >= 10 && !runnable.some((r) => r <= capRate * 0.9)) runnable.unshift(half);
    for (const rate of runnable) {
      const rec = await this.phase(`e2e-rate-${rate}`, () => this.operator.call("e2ePaced", { ...base, rate, duration: o.duration, tag: `er${rate}` }));
      atRate[String(rate)] = { ...(rec.result as object), ...(rate === half && !rates.includes(rate) ? { note: "50% of the measured capacity" } : {}) };
    }
    const { counters, tables, stmts, byTag, totalOrders } = await this.stopAndCount(stack);
    const completed = Object.values(byTag).reduce((a, t) => a + t.succeededAcked, 0);
    if (completed < totalOrders) this.notes.push(`${totalOrders - completed} orders of the end-to-end stack were not complete (status 4 + callback acked) when it stopped: statements per order are then only approximate`);
    const perOrder = (n: number) => round(n / Math.max(1, totalOrders), 2);
    return {
      stack: { ingress: o.ingress, workers: o.workers, db: stack.db, prefix: stack.prefix, fulfilmentConcurrency: 50, callbackConcurrency: 50, poolMaxPerProcess: 10 },
      capacity: cap.result,
      atRate,
      database: {
        orders: totalOrders,
        succeededAndAcked: completed,
        byTag,
        statementsPerOrder: perOrder(counters.xact_commit + counters.xact_rollback),
        ...(this.pg.pgss
          ? {
              topLevelStatementsPerOrder: perOrder(stmts.filter((x) => x.toplevel).reduce((a, x) => a + x.calls, 0)),
              nestedStatementsPerOrder: perOrder(stmts.filter((x) => !x.toplevel).reduce((a, x) => a + x.calls, 0)),
              dbExecMsPerOrder: round(stmts.filter((x) => x.toplevel).reduce((a, x) => a + x.totalMs, 0) / Math.max(1, totalOrders), 3),
            }
          : {}),
        allOrdersComplete: completed === totalOrders,
        statementsCountedBy: this.pg.pgss
          ? "pg_stat_statements (private cluster) — and pg_stat_database transactions as a cross-check"
          : "pg_stat_database xact_commit+xact_rollback of the run's own database (every statement on the order path is autocommitted: one statement = one transaction); includes the reconciler's and the operator cache's background reads",
        tuplesPerOrder: {
          inserted: perOrder(counters.tup_inserted),
          updated: perOrder(counters.tup_updated),
          fetched: perOrder(counters.tup_fetched),
          // Rows read by sequential scans plus index entries read: the figure a plan that reads a
          // whole table (a sequential scan where a key lookup would do) blows up.
          read: perOrder(counters.tup_returned),
        },
        tablesPerOrder: Object.fromEntries(
          Object.entries(tables).map(([t, c]) => [t, { ins: perOrder(c.n_tup_ins), upd: perOrder(c.n_tup_upd), hotUpd: perOrder(c.n_tup_hot_upd), idxScan: perOrder(c.idx_scan), idxFetch: perOrder(c.idx_tup_fetch), seqScan: perOrder(c.seq_scan), seqRead: perOrder(c.seq_tup_read) }]),
        ),
        counters,
        statements: stmts.map((s) => ({ ...s, perOrder: round(s.calls / Math.max(1, totalOrders), 3), totalMs: round(s.totalMs), meanMs: round(s.meanMs, 4) })),
      },
    };
  }

  /**
   * Chained end to end (issue 18): platform A places every order with an upstream channel that is
   * platform B (simulator, SIMULATOR_STEP_MS=0), where A is an operator; B's callbacks reach A's
   * notify endpoint and A calls the bench's operator back. Capacity with a bounded window, then
   * push → callback latency at CHAIN_RATE; statements per order are A's own.
   */
  async chainPhases(): Promise<Record<string, unknown>> {
    const o = this.opts;
    const b = await this.startStack("chainb", o.ingress, o.workers);
    const aAtB = await this.admin<{ uid: string; md5key: string }>(b, "POST", "/admin/operators", { name: "平台A", rateBp: 10000 });
    // A supplier is paid in advance: without funds at B, A's balance poll would make the channel ineligible (§12).
    await this.admin(b, "POST", `/admin/operators/${aAtB.uid}/adjustments`, { income: CHAIN_PREPAID_FEN, record: "预付款" });
    const a = await this.startStack("chaina", o.ingress, o.workers, {
      env: { DEFAULT_CHANNEL: "" },
      beforeWorkers: async (stack) => {
        await this.admin(stack, "POST", "/admin/channels", { code: "b", kind: "upstream", config: { baseUrl: b.urls[0], uid: aAtB.uid, md5key: aAtB.md5key }, costBp: 9700 });
        await this.admin(stack, "POST", "/admin/routes", { channels: ["b"] });
      },
    });
    const base = { urls: a.urls, connections: o.connections, drainTimeoutS: o.drainTimeout, warmS: Math.min(2, o.duration / 5) };
    const warm = await this.operator.call("e2ePaced", { ...base, rate: 100, duration: Math.max(1, o.warmup), tag: "cw", drainTimeoutS: 60 });
    if (!warm.drained) {
      throw new Error(`chained warm-up did not complete (${warm.callbacks}/${warm.pushed.accepted} callbacks):\n${[...a.workers, ...b.workers].map((w) => w.logTail()).join("\n")}`);
    }
    const cap = await this.phase("chain-capacity", () => this.operator.call("e2eClosed", { ...base, window: o.e2eWindow, duration: o.duration, tag: "cc" }));
    const capRate = (cap.result as { sustainedRatePerS: number }).sustainedRatePerS;
    const atRate =
      o.forceRates || CHAIN_RATE <= capRate * 0.9
        ? (await this.phase(`chain-rate-${CHAIN_RATE}`, () => this.operator.call("e2ePaced", { ...base, rate: CHAIN_RATE, duration: o.duration, tag: `cr${CHAIN_RATE}` }))).result
        : { skipped: true, reason: `above 90% of the measured capacity (${Math.round(capRate)}/s): not sustainable; --force-rates runs it anyway` };
    const atA = await this.stopAndCount(a);
    const atB = await this.stopAndCount(b);
    const completed = Object.values(atA.byTag).reduce((n, t) => n + t.succeededAcked, 0);
    if (completed < atA.totalOrders) this.notes.push(`${atA.totalOrders - completed} orders at chained platform A were not complete when it stopped`);
    const perOrderAtA = (n: number) => round(n / Math.max(1, atA.totalOrders), 2);
    return {
      stacks: { a: { ingress: o.ingress, workers: o.workers, db: a.db }, b: { ingress: o.ingress, workers: o.workers, db: b.db } },
      capacity: cap.result,
      atRate: { [String(CHAIN_RATE)]: atRate },
      database: {
        ordersAtA: atA.totalOrders,
        ordersAtB: atB.totalOrders,
        succeededAndAckedAtA: completed,
        byTagAtA: atA.byTag,
        statementsPerOrderAtA: perOrderAtA(atA.counters.xact_commit + atA.counters.xact_rollback),
        statementsPerOrderAtB: round((atB.counters.xact_commit + atB.counters.xact_rollback) / Math.max(1, atB.totalOrders), 2),
        statementsAtA: atA.stmts.map((x) => ({ ...x, perOrder: round(x.calls / Math.max(1, atA.totalOrders), 3), totalMs: round(x.totalMs), meanMs: round(x.meanMs, 4) })),
        statementsCountedBy: "pg_stat_database xact_commit+xact_rollback of each platform's own database, background reads included",
      },
    };
  }

  /** Stops a stack, then reads what its database did: counters, per-table and per-statement figures, orders by phase tag. */
  async stopAndCount(stack: Stack) {
    await this.stopStack(stack);
    await sleep(500);
    const counters = await dbCounters(this.pg, stack.db);
    const tables = await tableCounters(this.pg, stack.db);
    const stmts = await statements(this.pg, stack.db);
    const byTag = await this.ordersByTag(stack.db);
    const totalOrders = Object.values(byTag).reduce((a, t) => a + t.orders, 0);
    return { counters, tables, stmts, byTag, totalOrders };
  }

  async ordersByTag(db: string): Promise<Record<string, { orders: number; succeeded: number; succeededAcked: number; callbackAttempts: number; ledgerEntries: number }>> {
    const rows = await adminQuery(
      this.pg,
      `SELECT split_part(o.order_no, '_', 1) AS tag, count(*)::int AS orders,
              count(*) FILTER (WHERE o.status = 4)::int AS succeeded,
              count(*) FILTER (WHERE o.status = 4 AND o.callback_state = 'acked')::int AS succeeded_acked,
              coalesce(sum((SELECT count(*) FROM callback_attempts c WHERE c.order_id = o.id)), 0)::int AS attempts,
              coalesce(sum((SELECT count(*) FROM ledger_entries l WHERE l.order_id = o.id)), 0)::int AS ledger
         FROM orders o GROUP BY 1 ORDER BY 1`,
      [],
      db,
    );
    return Object.fromEntries(
      rows.map((r) => [r.tag, { orders: r.orders, succeeded: r.succeeded, succeededAcked: r.succeeded_acked, callbackAttempts: r.attempts, ledgerEntries: r.ledger }]),
    );
  }

  // ------------------------------------------------------------------ analysis

  profiles(): Record<string, unknown> {
    if (!this.opts.profile) return {};
    const window = (name: string) => this.phases.find((p) => p.name === name)?.window;
    const out: Record<string, unknown> = {};
    for (const proc of readdirSync(this.profileDir)) {
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile — the main thread is thread 0
      const main = readdirSync(join(this.profileDir, proc)).find((f) => f.endsWith(".cpuprofile") && f.split(".")[4] === "0");
      if (!main) continue;
      const phaseName = proc.startsWith("ingress-") ? "ingress-saturate" : proc.startsWith("e2e-") ? "e2e-capacity" : proc.startsWith("chain") ? "chain-capacity" : proc.startsWith("express-") ? "baseline-express" : undefined;
      const w = phaseName ? window(phaseName) : undefined;
      try {
        out[proc] = { phase: phaseName ?? "whole process", ...summarizeProfile(join(this.profileDir, proc, main), w ? { fromUs: w.fromUs, toUs: w.toUs } : undefined) };
      } catch (error) {
        out[proc] = { error: (error as Error).message };
      }
    }
    return out;
  }

  memory(): Record<string, unknown> {
    const series = this.sampler.series;
    const keys = new Set(series.flatMap((s) => Object.keys(s.rssMb)));
    const out: Record<string, unknown> = {};
    const e2eFrom = this.phases.find((p) => p.name === "e2e-capacity")?.window.fromMs;
    for (const key of keys) {
      const points = series.filter((s) => s.rssMb[key] !== undefined);
      const values = points.map((p) => p.rssMb[key]);
      // slope over the stack's measured phases (after warm-up), MiB per minute
      const measured = e2eFrom && key.startsWith("e2e-") ? points.filter((p) => p.atMs + this.sampler.startedAt >= e2eFrom) : points;
      const mSlope = slope(measured.map((p) => p.atMs / 60_000), measured.map((p) => p.rssMb[key]));
      out[key] = {
        startMb: values[0],
        peakMb: Math.max(...values),
        endMb: values[values.length - 1],
        slopeMbPerMin: round(mSlope, 2),
        samples: values.length,
      };
    }
    return { perProcess: out, seriesEverySecond: series };
  }

  cpuPerOrder(phaseName: string, orders: number): Record<string, unknown> | undefined {
    const p = this.phases.find((x) => x.name === phaseName);
    if (!p || orders <= 0) return undefined;
    const perGroup = Object.fromEntries(Object.entries(p.cpuMs.byGroup).map(([g, ms]) => [g, round(ms / orders, 4)]));
    const platform = ["ingress", "worker", "postgres", "redis"].reduce((a, g) => a + (p.cpuMs.byGroup[g] ?? 0), 0);
    const redisCalls = Object.values(p.redisCommands).reduce((a, c) => a + c.calls, 0);
    const redisUsec = Object.values(p.redisCommands).reduce((a, c) => a + c.usec, 0);
    return {
      phase: phaseName,
      orders,
      wallS: round((p.window.toMs - p.window.fromMs) / 1000, 2),
      cpuMsPerOrderByGroup: perGroup,
      platformCpuMsPerOrder: round(platform / orders, 4),
      cpuMsPerProcess: Object.fromEntries(Object.entries(p.cpuMs.byProcess).filter(([, ms]) => ms > 0).map(([k, ms]) => [k, Math.round(ms)])),
      redis: {
        commandsPerOrder: round(redisCalls / orders, 2),
        // commandstats time counts a script and, again, each command it runs: an upper bound
        serverUsecPerOrderUpperBound: round(redisUsec / orders, 1),
        byCommandPerOrder: Object.fromEntries(
          Object.entries(p.redisCommands)
            .sort((a, b) => b[1].calls - a[1].calls)
            .map(([cmd, c]) => [cmd, { calls: round(c.calls / orders, 3), usec: round(c.usec / orders, 1) }]),
        ),
      },
    };
  }

  // ------------------------------------------------------------------ cleanup

  async tearDown(): Promise<void> {
    if (this.torn) return;
    this.torn = true;
    this.sampler.stop();
    await Promise.allSettled(this.stacks.map((s) => this.stopStack(s)));
    await Promise.allSettled(this.children.map((c) => c.stop()));
    if (this.pg) {
      for (const db of this.databases.reverse()) await dropDatabase(this.pg, db).catch((e) => this.log(`could not drop ${db}: ${e.message}`));
    }
    if (this.redis) {
      for (const prefix of this.prefixes) await deletePrefix(this.redis, prefix).catch((e) => this.log(`could not clear ${prefix}: ${e.message}`));
      this.redis.disconnect();
    }
    await this.monitor?.end().catch(() => undefined);
    await this.waitMonitor?.end().catch(() => undefined);
    await this.pg?.stop();
  }
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const bench = new Bench(opts);
  const startedAt = new Date();
  const load0 = loadavg();
  let aborted: string | null = null;
  const abort = (why: string) => {
    if (aborted) return;
    aborted = why;
    bench.log(`aborting: ${why}; cleaning up`);
    bench.tearDown().finally(() => process.exit(130));
  };
  process.on("SIGINT", () => abort("SIGINT"));
  process.on("SIGTERM", () => abort("SIGTERM"));
  const watchdog = setTimeout(() => abort(`--max-minutes ${opts.maxMinutes} reached`), opts.maxMinutes * 60_000);
  watchdog.unref();

  const report: Record<string, any> = {
    id: bench.id,
    startedAt: startedAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`.trim(),
    options: { ...opts, only: [...opts.only] },
    code: codeState(),
  };
  try {
    await bench.setUp();
    report.machine = {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      memGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      loadavgAtStart: load0.map((l) => round(l, 2)),
      postgres: { kind: bench.pg.kind, ...(await serverSettings(bench.pg)) },
      redis: (await bench.redis.info("server")).match(/redis_version:(\S+)/)?.[1],
    };
    const group = async (name: PhaseGroup, run: () => Promise<Record<string, unknown>>) => {
      if (!opts.only.has(name) || aborted) return;
      try {
        report[name] = await run();
      } catch (error) {
        // one group failing (say, a stack that does not start) does not lose the others' figures
        report[name] = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
        report.error = `${name}: ${error instanceof Error ? error.message : String(error)}`;
        bench.log(`${name} FAILED: ${report[name].error}`);
      }
    };
    await group("baselines", () => bench.baselines());
    await group("ingress", () => bench.ingressPhases());
    await group("e2e", () => bench.e2ePhases());
    await group("chain", () => bench.chainPhases());
  } catch (error) {
    report.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    bench.log(`FAILED: ${report.error}`);
  }
  report.finishedAt = new Date().toISOString();
  report.machine = { ...report.machine, loadavgAtEnd: loadavg().map((l) => round(l, 2)) };
  await bench.tearDown();
  clearTimeout(watchdog);
  if (aborted) return;

  // ---- derived figures
  const ingressRate = report.ingress?.saturation?.ratePerS;
  const expressRate = report.baselines?.express?.ratePerS;
  const insertRate = report.baselines?.insert_simple?.ratePerS;
  const e2eRate = report.e2e?.capacity?.sustainedRatePerS;
  report.ratios = {
    ingressOverBareExpress: ingressRate && expressRate ? round(ingressRate / expressRate, 3) : null,
    ingressOverBareExpressPaired: report.ingress?.pairedWithBareExpress?.medianRatio ?? null,
    ingressOverRawInsert: ingressRate && insertRate ? round(ingressRate / insertRate, 3) : null,
    ingressOverPlatformInsert: ingressRate && report.baselines?.insert_cte?.ratePerS ? round(ingressRate / report.baselines.insert_cte.ratePerS, 3) : null,
    endToEndOverIngress: e2eRate && ingressRate ? round(e2eRate / ingressRate, 3) : null,
  };
  report.cpuPerOrder = {
    ingress: bench.cpuPerOrder("ingress-saturate", report.ingress?.saturation?.accepted ?? 0),
    endToEnd: bench.cpuPerOrder("e2e-capacity", report.e2e?.capacity?.callbacks ?? 0),
    bareExpress: bench.cpuPerOrder("baseline-express", report.baselines?.express?.accepted ?? 0),
    chained: bench.cpuPerOrder("chain-capacity", report.chain?.capacity?.callbacks ?? 0),
  };
  report.memory = bench.memory();
  report.profiles = bench.profiles();
  report.phases = bench.phases.map((p) => ({ name: p.name, seconds: round((p.window.toMs - p.window.fromMs) / 1000, 2), window: p.window, cpuMsByGroup: p.cpuMs.byGroup, pgBackendsByState: p.pgWaits, serverTiming: p.serverTiming }));
  report.targets = evaluateTargets(report, opts);
  report.notes = [
    ...bench.notes,
    "Load generator, callback receiver, PostgreSQL, Redis and the platform share the machine's CPUs: every figure is for this whole box, not for one component in isolation.",
    "Other work on the machine (e.g. a concurrent test suite) shows in loadavg and in the shared Redis/PostgreSQL counters; compare runs only at similar load.",
  ];
  if (opts.profile) report.notes.push("CPU profiling (--cpu-prof) slows the profiled processes by a few percent; compare throughput from runs without --profile.");
  report.artefacts = { dir: bench.outDir };

  const out = opts.out ?? join(ROOT, "bench", "results", `bench-${bench.id}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2));
  printReport(report);
  process.stdout.write(`\nreport: ${out}\nlogs/profiles: ${bench.outDir}\n`);
  process.exit(report.error ? 1 : 0);
}

/** Which code was measured: the commit, and the uncommitted changes to the platform's sources if any. */
function codeState(): Record<string, unknown> {
  const git = (...args: string[]) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  const paths = ["apps", "packages", "prisma"];
  const dirty = git("status", "--porcelain", "--", ...paths).split("\n").filter(Boolean);
  const diff = git("diff", "HEAD", "--", ...paths);
  return {
    commit: git("rev-parse", "HEAD"),
    subject: git("log", "-1", "--format=%s"),
    uncommittedPlatformChanges: dirty,
    uncommittedDiffSha256: diff ? createHash("sha256").update(diff).digest("hex").slice(0, 16) : null,
  };
}

function evaluateTargets(r: Record<string, any>, opts: Options): Record<string, unknown> {
  const t: Record<string, unknown> = {};
  const check = (name: string, value: number | null | undefined, ok: (v: number) => boolean, target: string, caveat?: string) => {
    t[name] = value === null || value === undefined || Number.isNaN(value) ? { target, value: null, met: null } : { target, value: round(value, 3), met: ok(value), ...(caveat ? { caveat } : {}) };
  };
  check("ingressOverBareExpress", r.ratios?.ingressOverBareExpress, (v) => v >= 0.5, ">= 0.5", "baseline measured minutes before the ingress; see ingressOverBareExpressPaired");
  check("ingressOverBareExpressPaired", r.ratios?.ingressOverBareExpressPaired, (v) => v >= 0.5, ">= 0.5", `median of ${PAIRED_ROUNDS} interleaved pairs of ${PAIRED_SECONDS} s`);
  const bare = r.ingress?.pairedWithBareExpress;
  const bareP99 = (k: string) => round(bare?.[k]?.latencyMs?.p99, 1);
  check(
    "p99PushAt80pctMs",
    r.ingress?.at80pct?.latencyMs?.p99,
    (v) => v < 25,
    "< 25 ms",
    bare?.expressAtOwn80pct ? `bare Express: p99 ${bareP99("expressAtIngress80pct")} ms at the same rate, ${bareP99("expressAtOwn80pct")} ms at 80 % of its own saturation` : undefined,
  );
  check(
    "endToEndOrdersPerS",
    r.e2e?.capacity?.sustainedRatePerS,
    (v) => v >= 2000,
    ">= 2000/s sustained 60 s, every callback acknowledged",
    opts.duration < 60 ? `measured over ${opts.duration} s; run with --duration 60 for the target's 60 s` : undefined,
  );
  const at1000 = r.e2e?.atRate?.["1000"];
  check(
    "p99PushToCallbackAt1000Ms",
    at1000?.skipped ? Infinity : at1000?.drained ? at1000?.latencyMs?.p99 : at1000 ? Infinity : null,
    (v) => v < 1000,
    "< 1000 ms at 1000 orders/s",
    at1000?.skipped ? at1000.reason : at1000 && !at1000.drained ? "not every callback arrived within --drain-timeout" : undefined,
  );
  check("statementsPerOrder", r.e2e?.database?.statementsPerOrder, (v) => v <= 8, "<= 8");
  const chain = r.chain;
  check(
    "chainOrdersPerS",
    chain?.capacity?.sustainedRatePerS,
    (v) => v >= 800,
    ">= 800/s reaching 4 at A sustained 60 s, every callback acknowledged",
    opts.duration < 60 ? `measured over ${opts.duration} s; run with --duration 60 for the target's 60 s` : undefined,
  );
  const chainAt = chain?.atRate?.[String(CHAIN_RATE)];
  check(
    `chainP99PushToCallbackAt${CHAIN_RATE}Ms`,
    chainAt?.skipped ? Infinity : chainAt?.drained ? chainAt?.latencyMs?.p99 : chainAt ? Infinity : null,
    (v) => v < 1000,
    `< 1000 ms at ${CHAIN_RATE} orders/s`,
    chainAt?.skipped ? chainAt.reason : chainAt && !chainAt.drained ? "not every callback arrived within --drain-timeout" : undefined,
  );
  check("chainStatementsPerOrderAtA", chain?.database?.statementsPerOrderAtA, (v) => v <= 3, "<= 3 (batched statements by share)");
  // Where a target is missed, what bounds it, from this run's own figures.
  for (const [name, bound] of Object.entries(targetBounds(r, r.machine?.cpus ?? cpus().length))) {
    const target = t[name] as { met: boolean | null } | undefined;
    if (bound && target && target.met === false) Object.assign(target, { bound });
  }
  const mem = r.memory?.perProcess ?? {};
  const slopes = Object.entries(mem)
    .filter(([k]) => /^e2e-(ingress|worker)/.test(k))
    .map(([k, v]: [string, any]) => ({ k, s: v.slopeMbPerMin }));
  t.memoryFlat = {
    target: "flat over a long run",
    slopesMbPerMin: Object.fromEntries(slopes.map((x) => [x.k, x.s])),
    caveat: "a slope over a short run mostly shows warm-up (JIT, pools, heap growth); judge with --duration 600 or more",
  };
  return t;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
