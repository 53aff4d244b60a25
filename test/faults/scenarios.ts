/**
 * The fault scenarios of issues #3 and #17. Each one runs its own platform (fresh database, own queue
 * prefix, real ingress and worker processes), keeps a steady load of signed pushes going while it
 * injects its fault, waits (bounded) for everything to settle, and checks the invariants.
 */
import http from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { CALLBACK_BACKOFF_MS, Cluster, type Operator } from "./cluster";
import { checkInvariants, checkSupplierRecords, STEADY_AFTER_MS, waitForSettled, type CheckResult } from "./invariants";
import { LoadGenerator, phoneFor, type PushAttempt, type PushedOrder } from "./load";
import type { PlatformProcess } from "./processes";
import { KeyLoss } from "./key-loss";
import { FaultReceiver, type Behaviour } from "./receiver";
import type { ScenarioOutcome } from "./report";
import { portInUse, sleep, type PrivatePostgres, type PrivateRedis } from "./services";
import { ScriptedSupplier, type SupplierScript } from "./suppliers";

export interface SuiteContext {
  pg: PrivatePostgres;
  redis: PrivateRedis;
  template: string;
  logRoot: string;
  basePort: number;
}

interface Spec {
  name: string;
  fault: string;
  ingress: number;
  workers: number;
  /** Platform environment beyond the cluster's defaults. */
  env?: Record<string, string>;
  receivers: Behaviour[];
  ratePerSec: number;
  /** Upper bound for the wait until every stored order settled. */
  settleMs: number;
  strictAttempts: boolean;
  /** What the scenario adds to the platform (suppliers, channels, routes) before the load starts. */
  fixture?: (cluster: Cluster) => Promise<Fixture>;
}

/** A scenario's own parts beyond the platform: checked once everything settled, closed at the end. */
interface Fixture {
  check(): Promise<{ violations: string[]; notes: string[]; extra: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** What a scenario's fault injection reports back. */
interface Injection {
  /** When the fault began; scenarios that set it get the steady-state check after the fault. */
  faultStart?: number;
  faultEnd: number;
  faultEvents: number;
  notes: string[];
  violations: string[];
  extra: Record<string, unknown>;
  /** Seconds after faultEnd by which every order stored before it must have settled. */
  recoveryBoundS?: number;
}

interface Env {
  cluster: Cluster;
  operator: Operator;
  load: LoadGenerator;
  receivers: FaultReceiver[];
  ctx: SuiteContext;
}

const random = (min: number, max: number) => min + Math.random() * (max - min);
const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)];
const BUSY_BODY = '{"code":"400","count":"0","msg":"系统繁忙，请稍后重试"}';

function attemptsOf(load: LoadGenerator): PushAttempt[] {
  return load.orders.flatMap((o) => o.attempts);
}

function kinds(attempts: PushAttempt[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of attempts) {
    const key = a.kind === "error" ? `error:${a.detail}` : a.kind;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

function latency(attempts: PushAttempt[]): Record<string, number> {
  const ms = attempts.map((a) => a.end - a.start).sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0;
  return { p50: q(0.5), p99: q(0.99), max: ms[ms.length - 1] ?? 0 };
}

/** A business answer (code 400 with HTTP 200) or an odd HTTP status to a valid signed push is always a bug. */
function unexpectedAnswers(load: LoadGenerator, violations: string[]): number {
  const odd = attemptsOf(load).filter((a) => a.kind === "rejected" || a.kind === "http");
  for (const a of odd.slice(0, 5)) violations.push(`UNEXPECTED ANSWER: HTTP ${a.httpStatus} ${a.detail} from ${a.target}`);
  return odd.length;
}

async function runScenario(ctx: SuiteContext, spec: Spec, index: number, inject: (env: Env) => Promise<Injection>): Promise<ScenarioOutcome> {
  const started = Date.now();
  const basePort = ctx.basePort + index * 20;
  for (let p = basePort; p < basePort + 2 * spec.ingress; p++) {
    if (await portInUse(p)) throw new Error(`port ${p} is taken; set FAULTS_BASE_PORT`);
  }
  const cluster = new Cluster(ctx.pg, ctx.redis, {
    name: spec.name,
    ingress: spec.ingress,
    workers: spec.workers,
    logDir: join(ctx.logRoot, spec.name),
    basePort,
    env: spec.env,
  });
  const receivers: FaultReceiver[] = [];
  let load: LoadGenerator | null = null;
  let fixture: Fixture | null = null;
  try {
    for (const b of spec.receivers) receivers.push(await new FaultReceiver(b).start());
    await cluster.start(ctx.template);
    const operator = await cluster.createOperator();
    for (const r of receivers) r.setKey(operator.key);
    fixture = spec.fixture ? await spec.fixture(cluster) : null;
    load = new LoadGenerator({
      name: spec.name,
      targets: () => cluster.ingressUrls(),
      uid: operator.uid,
      key: operator.key,
      ratePerSec: spec.ratePerSec,
      receivers,
    });
    load.start();
    const injection = await inject({ cluster, operator, load, receivers, ctx });
    if (injection.faultStart !== undefined) {
      // Keep the load going long enough to see the platform back at normal speed after the fault.
      await sleep(Math.max(0, injection.faultEnd + STEADY_AFTER_MS + 5_000 - Date.now()));
    }
    await load.drain(20_000);
    const open = await waitForSettled(ctx.pg, cluster.database, spec.settleMs);
    const live = cluster.ingress.find((p) => p.running);
    const result: CheckResult = await checkInvariants({
      pg: ctx.pg,
      database: cluster.database,
      orders: load.orders,
      receivers,
      faultEnd: injection.faultEnd,
      faultStart: injection.faultStart,
      strictAttempts: spec.strictAttempts,
      callbackBackoffMs: CALLBACK_BACKOFF_MS,
      balance: live ? { baseUrl: live.baseUrl, uid: operator.uid, key: operator.key } : undefined,
    });
    const own = fixture ? await fixture.check() : { violations: [], notes: [], extra: {} };
    const violations = [...injection.violations, ...result.violations, ...own.violations];
    if (injection.recoveryBoundS !== undefined && result.recoveryS !== null && result.recoveryS > injection.recoveryBoundS) {
      violations.push(`SLOW RECOVERY: every order stored before the end of the fault settled ${result.recoveryS} s after it (bound ${injection.recoveryBoundS} s)`);
    }
    const odd = unexpectedAnswers(load, violations);
    const notes = [
      ...injection.notes,
      ...own.notes,
      `load: ${spec.ratePerSec}/s for ${((load.stoppedAt - load.startedAt) / 1000).toFixed(0)} s; push answers ${JSON.stringify(kinds(attemptsOf(load)))}`,
      `callbacks received ${receivers.reduce((n, r) => n + r.deliveries.length, 0)}; excess over 3 per round ${result.excessDeliveries}; bad signs ${result.badSigns}`,
    ];
    if (result.settleAfter) {
      notes.push(`push → terminal: before the fault ${JSON.stringify(result.settleBefore)} ms, from ${STEADY_AFTER_MS / 1000} s after it ${JSON.stringify(result.settleAfter)} ms`);
    }
    if (open !== 0) notes.push(`settle wait ended with ${open} order(s) still open after ${spec.settleMs / 1000} s`);
    const failed =
      violations.length > 0 ||
      odd > 0 ||
      result.lost > 0 ||
      result.stuck > 0 ||
      result.doubleSettlements > 0 ||
      result.settlementErrors > 0 ||
      result.backwards > 0 ||
      result.twoChannels > 0 ||
      result.missingCallbacks > 0 ||
      result.recoveryS === null;
    return {
      ...result,
      violations,
      name: spec.name,
      fault: spec.fault,
      durationS: (Date.now() - started) / 1000,
      faultEvents: injection.faultEvents,
      notes,
      extra: {
        ...injection.extra,
        ...own.extra,
        pushAnswers: kinds(attemptsOf(load)),
        pushLatencyMs: latency(attemptsOf(load)),
        failedPushSample: attemptsOf(load)
          .filter((a) => a.kind !== "ack")
          .slice(0, 8)
          .map((a) => ({ ...a, start: new Date(a.start).toISOString(), ms: a.end - a.start })),
        queuePrefix: cluster.queuePrefix,
        database: cluster.database,
      },
      passed: !failed,
    };
  } finally {
    load?.stop();
    await cluster.stop().catch(() => undefined);
    load?.close();
    for (const r of receivers) await r.close().catch(() => undefined);
    await fixture?.close().catch(() => undefined);
  }
}

/** Restarts a killed process in the background; the promise settles when it is ready again. */
function restartLater(p: PlatformProcess, delayMs: number, restarts: Promise<unknown>[], violations: string[]): void {
  restarts.push(
    sleep(delayMs)
      .then(() => p.start())
      .catch((e: Error) => violations.push(`RESTART: ${p.name} did not come back: ${e.message}`)),
  );
}

interface KillRound {
  /** How long to go on killing after the first 3 s of undisturbed load. */
  forMs: number;
  /** Pause before each kill, ms. */
  gapMs: [number, number];
  /** The process to kill now, or null to skip this turn. */
  victim: () => PlatformProcess | null;
  restartAfterMs: () => number;
}

/** kill -9 at random moments (at most 10 kills), each victim restarted later; waits until all are back. */
async function killRepeatedly(round: KillRound): Promise<{ kills: number; firstKill: number; lastKill: number; violations: string[] }> {
  const violations: string[] = [];
  const restarts: Promise<unknown>[] = [];
  let kills = 0;
  let lastKill = Date.now();
  let firstKill = 0;
  await sleep(3_000);
  const until = Date.now() + round.forMs;
  while (Date.now() < until && kills < 10) {
    await sleep(random(round.gapMs[0], round.gapMs[1]));
    const victim = round.victim();
    if (!victim) continue;
    await victim.kill9();
    kills++;
    lastKill = Date.now();
    firstKill ||= lastKill;
    restartLater(victim, round.restartAfterMs(), restarts, violations);
  }
  await Promise.all(restarts);
  await sleep(3_000);
  return { kills, firstKill, lastKill, violations };
}

// 1. kill -9 of worker processes at random moments, repeatedly.
export function workerKill(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "worker-kill9",
    fault: "kill -9 of a random worker every 1.5–4 s (3 workers), restarted after 0.3–1.5 s",
    ingress: 2,
    workers: 3,
    receivers: ["ok"],
    ratePerSec: 12,
    settleMs: 75_000,
    strictAttempts: false,
  };
  return runScenario(ctx, spec, index, async ({ cluster }) => {
    const { kills, firstKill, lastKill, violations } = await killRepeatedly({
      forMs: 24_000,
      gapMs: [1_500, 4_000],
      // Any worker may die, but one stays up so that the others' restarts are the only pause.
      victim: () => {
        const ready = cluster.workers.filter((w) => w.ready);
        return ready.length < 2 ? null : pick(ready);
      },
      restartAfterMs: () => random(300, 1_500),
    });
    return { faultStart: firstKill || undefined, faultEnd: lastKill, faultEvents: kills, notes: [`${kills} worker kills; recovery measured from the last kill`], violations, extra: { kills } };
  });
}

// 2. kill -9 of ingress processes mid-request.
export function ingressKill(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "ingress-kill9",
    fault: "kill -9 of a random ingress every 1.5–3.5 s (3 ingress) under load, restarted after 1 s",
    ingress: 3,
    workers: 2,
    receivers: ["ok"],
    ratePerSec: 15,
    settleMs: 60_000,
    strictAttempts: false,
  };
  return runScenario(ctx, spec, index, async ({ cluster, load }) => {
    const { kills, firstKill, lastKill, violations } = await killRepeatedly({
      forMs: 20_000,
      gapMs: [1_500, 3_500],
      // One ingress down at a time: the load balancer (the load generator) still has somewhere to go.
      victim: () => (cluster.ingress.every((p) => p.ready) ? pick(cluster.ingress) : null),
      restartAfterMs: () => 1_000,
    });
    const cut = attemptsOf(load).filter((a) => a.kind === "error").length;
    const retriedToAck = load.orders.filter((o) => o.acked && o.attempts.length > 1).length;
    return {
      faultStart: firstKill || undefined,
      faultEnd: lastKill,
      faultEvents: kills,
      notes: [`${kills} ingress kills; ${cut} push attempts cut off (client saw an error); ${retriedToAck} orders acknowledged on a retry`],
      violations,
      extra: { kills, cutAttempts: cut, retriedToAck },
    };
  });
}

// 3. Redis restarted empty.
export function redisRestart(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "redis-restart",
    fault: "Redis killed (SIGKILL, no persistence) for 6 s and restarted empty; a worker SIGTERMed meanwhile",
    ingress: 2,
    workers: 2,
    receivers: ["ok"],
    ratePerSec: 12,
    settleMs: 60_000,
    strictAttempts: false,
  };
  return runScenario(ctx, spec, index, async ({ cluster, load }) => {
    const violations: string[] = [];
    await sleep(6_000);
    await ctx.redis.kill();
    const downAt = Date.now();
    await sleep(1_000);
    // A worker stopped while Redis is unreachable must still exit (bounded by its grace period).
    const stopping = cluster.workers[1];
    const sigtermAt = Date.now();
    const exited = stopping.terminate(30_000);
    await sleep(5_000);
    const upAt = Date.now();
    await ctx.redis.start();
    const exit = await exited;
    const exitMs = exit ? exit.at - sigtermAt : null;
    if (exit === null) {
      violations.push(`NO EXIT: ${stopping.name} SIGTERMed while Redis was down still running after 30 s`);
      await stopping.kill9();
    }
    await stopping.start();
    await sleep(8_000);
    const duringOutage = attemptsOf(load).filter((a) => a.start >= downAt && a.end <= upAt);
    const notAccepted = duringOutage.filter((a) => a.kind !== "ack");
    for (const a of notAccepted.slice(0, 5)) violations.push(`NOT ACCEPTED WITHOUT REDIS: ${a.kind} ${a.httpStatus ?? ""} ${a.detail}`);
    return {
      faultStart: downAt,
      faultEnd: upAt,
      faultEvents: 1,
      notes: [
        `while Redis was down: ${duringOutage.length} pushes, ${duringOutage.length - notAccepted.length} acknowledged`,
        `${stopping.name} SIGTERMed while Redis was down: exited ${exitMs === null ? "NOT within 30 s" : `${exitMs} ms`} later (code ${exit?.code ?? "-"}), restarted`,
      ],
      violations,
      extra: { pushesWhileDown: duringOutage.length, ackedWhileDown: duringOutage.length - notAccepted.length, sigtermWhileDownExitMs: exitMs },
    };
  });
}

// 4. PostgreSQL restarted (crash: pg_ctl stop -m immediate).
export function postgresRestart(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "postgres-restart",
    fault: "PostgreSQL stopped with -m immediate for 8 s, then started; no platform process restarted",
    ingress: 2,
    workers: 2,
    receivers: ["ok"],
    ratePerSec: 12,
    settleMs: 60_000,
    strictAttempts: false,
  };
  return runScenario(ctx, spec, index, async ({ cluster, load }) => {
    const violations: string[] = [];
    const pids = cluster.all.map((p) => p.pid);
    await sleep(6_000);
    await ctx.pg.stopImmediate();
    const downAt = Date.now();
    await sleep(8_000);
    const upAt = Date.now();
    await ctx.pg.start();
    const startedAt = Date.now();
    await sleep(10_000);
    const during = attemptsOf(load).filter((a) => a.start >= downAt && a.end <= upAt);
    const wrong = during.filter((a) => !(a.kind === "busy" && a.detail === BUSY_BODY));
    for (const a of wrong.slice(0, 5)) violations.push(`WHILE DATABASE DOWN: ${a.kind} HTTP ${a.httpStatus} ${a.detail} (expected HTTP 503 ${BUSY_BODY})`);
    const acksDown = during.filter((a) => a.kind === "ack").length;
    const firstAck: Record<string, number | null> = {};
    for (const p of cluster.ingress) {
      const ack = attemptsOf(load)
        .filter((a) => a.target === p.baseUrl && a.kind === "ack" && a.start >= startedAt)
        .sort((a, b) => a.end - b.end)[0];
      firstAck[p.name] = ack ? Math.round((ack.end - startedAt) / 100) / 10 : null;
      if (!ack) violations.push(`NO RECOVERY: ${p.name} acknowledged nothing within 10 s of the database being back`);
    }
    cluster.all.forEach((p, i) => {
      if (p.pid !== pids[i] || p.starts !== 1) violations.push(`RESTARTED: ${p.name} (pid ${pids[i]} → ${p.pid}, exit ${JSON.stringify(p.lastExit)})`);
    });
    return {
      faultStart: downAt,
      faultEnd: startedAt,
      faultEvents: 1,
      notes: [
        `while down: ${during.length} pushes answered, ${during.length - wrong.length} with HTTP 503 系统繁忙，请稍后重试, ${acksDown} code "200"`,
        `first code "200" after the database was back (s): ${JSON.stringify(firstAck)}; every process kept its pid`,
      ],
      violations,
      extra: { answeredWhileDown: during.length, busyWhileDown: during.length - wrong.length, acksWhileDown: acksDown, firstAckAfterRestartS: firstAck },
    };
  });
}

// 5. Misbehaving callback receivers.
export function badReceivers(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "callback-receivers",
    fault: "notify_urls that answer ok, slowly (2.5 s), too slowly (11 s), hang, reset, answer garbage, or reset once",
    ingress: 1,
    workers: 2,
    receivers: ["ok", "slow", "too-slow", "hang", "reset", "garbage", "flaky"],
    ratePerSec: 10,
    settleMs: 75_000,
    strictAttempts: true,
  };
  return runScenario(ctx, spec, index, async ({ load }) => {
    await sleep(12_000);
    load.stop();
    return { faultEnd: Date.now(), faultEvents: 0, notes: ["recovery here: from the end of the load until every callback round closed"], violations: [], extra: {} };
  });
}

/**
 * Sends a push whose body is cut in two, SIGTERMs the ingress between the halves, then completes it.
 * Meanwhile a client keeps one kept-alive connection to that ingress busy with back-to-back pushes
 * (as a load balancer's pooled connection does): a graceful stop must not keep serving it forever.
 */
async function inFlightPush(
  target: PlatformProcess,
  load: LoadGenerator,
  receiver: FaultReceiver,
  label: string,
): Promise<{ order: PushedOrder; answer: string; refusedWhileStopping: boolean; exitMs: number | null; servedAfterStop: number }> {
  const keptAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let busy = true;
  const busyOrders: PushedOrder[] = [];
  const busyLoop = (async () => {
    for (let n = 0; busy && n < 5_000; n++) {
      const pushed = await load.pushSingle(target.baseUrl, keptAlive);
      busyOrders.push(pushed);
      if (!pushed.acked) break; // connection closed: a real client would now go to another ingress
    }
  })();
  await sleep(300);
  const order: PushedOrder = {
    i: -1,
    orderNo: `${label}-${Date.now().toString(36)}`,
    phone: phoneFor(0),
    face: 1000,
    receiver,
    attempts: [],
    acked: false,
    ackAt: null,
  };
  load.orders.push(order);
  const body = load.formFor(order);
  const half = Math.floor(body.length / 2);
  const socket = connect({ host: "127.0.0.1", port: target.port as number });
  let answer = "";
  const ended = new Promise<void>((resolve) => {
    socket.on("data", (d) => (answer += d.toString("utf8")));
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const start = Date.now();
  socket.write(
    `POST /1/api/oper/order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body.slice(0, half)}`,
  );
  await sleep(300);
  const sigtermAt = Date.now();
  const exited = target.terminate(25_000);
  await sleep(700);
  const refusedWhileStopping = !(await portInUse(target.port as number));
  socket.write(body.slice(half));
  await Promise.race([ended, sleep(15_000)]);
  socket.destroy();
  const exit = await exited;
  busy = false;
  await busyLoop;
  keptAlive.destroy();
  const servedAfterStop = busyOrders.filter((o) => o.acked && o.attempts[0].start > sigtermAt).length;
  const ok = /\r\n\r\n\{"code":"200","count":"1","msg":"Success"\}$/.test(answer);
  order.attempts.push({ start, end: Date.now(), target: target.baseUrl, kind: ok ? "ack" : "error", httpStatus: null, detail: answer.split("\r\n")[0] ?? "" });
  if (ok) {
    order.acked = true;
    order.ackAt = Date.now();
  }
  return { order, answer, refusedWhileStopping, exitMs: exit ? exit.at - sigtermAt : null, servedAfterStop };
}

// 6. SIGTERM: graceful stops of ingress and worker processes under load.
export function sigterm(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "sigterm",
    fault: "SIGTERM of an ingress with a request in flight, and of a worker with callbacks in flight (each twice), restarted",
    ingress: 2,
    workers: 2,
    receivers: ["ok", "slow"],
    ratePerSec: 12,
    settleMs: 60_000,
    strictAttempts: true,
  };
  return runScenario(ctx, spec, index, async ({ cluster, load, receivers }) => {
    const violations: string[] = [];
    const notes: string[] = [];
    const extra: Record<string, unknown> = {};
    let events = 0;
    await sleep(4_000);
    const faultStart = Date.now();
    for (let round = 0; round < 2; round++) {
      const ingress = cluster.ingress[round];
      const r = await inFlightPush(ingress, load, receivers[0], `sigterm-inflight-${round + 1}`);
      events++;
      notes.push(
        `${ingress.name}: in-flight push answered ${r.order.acked ? 'code "200"' : JSON.stringify(r.answer.slice(0, 80))}; ` +
          `new connections refused while stopping: ${r.refusedWhileStopping}; pushes served on a busy kept-alive connection after SIGTERM: ${r.servedAfterStop}; ` +
          `exited ${r.exitMs === null ? "NOT within 25 s" : `${r.exitMs} ms`} after SIGTERM`,
      );
      extra[`${ingress.name}.servedAfterStop`] = r.servedAfterStop;
      extra[`${ingress.name}.exitMs`] = r.exitMs;
      if (!r.order.acked) violations.push(`IN-FLIGHT: ${ingress.name} did not finish the in-flight push: ${JSON.stringify(r.answer.slice(0, 200))}`);
      if (!r.refusedWhileStopping) violations.push(`STILL ACCEPTING: ${ingress.name} accepted new connections after SIGTERM`);
      if (r.exitMs === null) {
        violations.push(`NO EXIT: ${ingress.name} still running 25 s after SIGTERM (kept-alive connections)`);
        await ingress.kill9();
      } else if (ingress.lastExit?.code !== 0) {
        violations.push(`UNCLEAN EXIT: ${ingress.name} ${JSON.stringify(ingress.lastExit)}`);
      }
      await ingress.start();

      await sleep(2_000);
      const worker = cluster.workers[round];
      const sentAt = Date.now();
      const exit = await worker.terminate(25_000);
      events++;
      const exitMs = exit ? exit.at - sentAt : null;
      extra[`${worker.name}.exitMs`] = exitMs;
      notes.push(`${worker.name}: exited ${exitMs === null ? "NOT within 25 s" : `${exitMs} ms`} after SIGTERM (code ${exit?.code ?? "-"})`);
      if (exit === null) {
        violations.push(`NO EXIT: ${worker.name} still running 25 s after SIGTERM`);
        await worker.kill9();
      } else if (exit.code !== 0) {
        violations.push(`UNCLEAN EXIT: ${worker.name} ${JSON.stringify(exit)}`);
      }
      await worker.start();
      await sleep(2_000);
    }
    const faultEnd = Date.now();
    await sleep(3_000);
    return { faultStart, faultEnd, faultEvents: events, notes, violations, extra };
  });
}

/**
 * How long after a partial loss of Redis every order must have settled. Work lost at T runs again
 * by its due time + the reconciler's grace (15 s) + one cycle (5 s); a callback round is due up to one
 * attempt's timeout (10 s) after it opened; then the order's remaining steps and its callback (a slow
 * receiver answers after 2.5 s).
 */
const PARTIAL_LOSS_RECOVERY_S = 35;
const KEY_KINDS = ["job", "wait", "active", "delayed", "stalled", "lock", "meta", "id", "events", "marker"];
/** Kinds that hold keys for more than a moment only while no worker is taking jobs. */
const WHILE_WORKERS_DOWN = new Set(["wait", "marker"]);

// 7. Redis loses part of the platform's keys (issue #17) while workers are killed.
export function redisPartialLoss(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const spec: Spec = {
    name: "redis-partial-loss",
    fault:
      `a random 30–70 % of the queue keys deleted 4 times, and every key of one kind at a time (${KEY_KINDS.join(", ")}; ` +
      "the wait lists and markers while every worker is down, so that they hold something), 1–2 s apart; kill -9 of a random worker after every other deletion (3 workers)",
    ingress: 2,
    workers: 3,
    // Slower simulated steps keep each order's jobs in Redis (delayed, waiting, active) for seconds;
    // slow receivers keep callback jobs active, with their locks.
    env: { SIMULATOR_STEP_MS: "400" },
    receivers: ["ok", "slow"],
    ratePerSec: 15,
    settleMs: 90_000,
    strictAttempts: false,
  };
  return runScenario(ctx, spec, index, async ({ cluster }) => {
    const loss = new KeyLoss(ctx.redis.url, cluster.queuePrefix);
    const violations: string[] = [];
    const restarts: Promise<unknown>[] = [];
    let kills = 0;
    let lastKill = 0;
    try {
      await sleep(4_000);
      const faultStart = Date.now();
      for (const [i, kind] of KEY_KINDS.entries()) {
        if (i % 3 === 0) await loss.deleteShare(random(0.3, 0.7));
        if (WHILE_WORKERS_DOWN.has(kind)) {
          // With no worker taking jobs, new orders' jobs pile up in the wait lists (and wake-up markers).
          await Promise.all(restarts.splice(0));
          await Promise.all(cluster.workers.map((w) => w.kill9()));
          kills += cluster.workers.length;
          await sleep(1_500);
          await loss.deleteKind(kind);
          lastKill = Date.now();
          await Promise.all(cluster.workers.map((w) => w.start()));
        } else {
          await loss.deleteKind(kind);
        }
        await sleep(random(1_000, 2_000));
        const ready = cluster.workers.filter((w) => w.ready);
        if (i % 2 === 1 && ready.length >= 2) {
          const victim = pick(ready);
          await victim.kill9();
          kills++;
          lastKill = Date.now();
          restartLater(victim, random(300, 1_500), restarts, violations);
        }
      }
      await Promise.all(restarts);
      const faultEnd = Math.max(lastKill, ...loss.deletions.map((d) => d.at));
      const deleted = loss.deletions.reduce((n, d) => n + d.deleted, 0);
      return {
        faultStart,
        faultEnd,
        faultEvents: loss.deletions.length + kills,
        notes: [
          `${loss.deletions.length} deletions (${deleted} keys in all), ${kills} worker kills; recovery bound ${PARTIAL_LOSS_RECOVERY_S} s after the last of them`,
          ...loss.deletions.map((d) => `${d.what}: ${d.deleted} of ${d.found} keys ${JSON.stringify(d.byKind)}`),
        ],
        violations,
        extra: { deletions: loss.deletions, kills, recoveryBoundS: PARTIAL_LOSS_RECOVERY_S },
        recoveryBoundS: PARTIAL_LOSS_RECOVERY_S,
      };
    } finally {
      loss.close();
    }
  });
}

/** Tier 1: slow, takes most orders, refuses or fails some for good, leaves some unknown while the fault lasts. */
const FIRST_SUPPLIER: SupplierScript = {
  code: "up-first",
  uid: "7001",
  key: "faultsFirstSupplierKey0000000001",
  pushDelayMs: [200, 800],
  settleDelayMs: [300, 1_500],
  plans: { recharge: 55, "recharge-quietly": 15, refuse: 12, fail: 8, hang: 3, "reset-taken": 4, "reset-lost": 3 },
};
/** Tier 2: quick, takes and recharges everything. */
const SECOND_SUPPLIER: SupplierScript = {
  code: "up-second",
  uid: "7002",
  key: "faultsSecondSupplierKey000000002",
  pushDelayMs: [20, 100],
  settleDelayMs: [100, 500],
  plans: { recharge: 1 },
};
/** How long a route or channel change takes to reach every worker (docs/channels.md: within 2 s). */
const DIRECTORY_REFRESH_MS = 2_500;

/** The suppliers as upstream channels of one route, in tier order; checked from their own records. */
async function upstreamRoute(cluster: Cluster, suppliers: ScriptedSupplier[]): Promise<Fixture> {
  for (const s of suppliers) {
    await s.start();
    const res = await cluster.admin("POST", "/admin/channels", { code: s.code, kind: "upstream", config: { baseUrl: s.url, uid: s.uid, md5key: s.key } });
    if (res.status !== 201) throw new Error(`channel ${s.code} not created: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  }
  const route = await cluster.admin("POST", "/admin/routes", { channels: suppliers.map((s) => s.code) });
  if (route.status !== 201) throw new Error(`route not created: HTTP ${route.status} ${JSON.stringify(route.body)}`);
  await sleep(DIRECTORY_REFRESH_MS);
  return {
    async check() {
      const seen = await checkSupplierRecords(cluster.pg, cluster.database, suppliers);
      const plans = Object.fromEntries(suppliers.map((s) => [s.code, s.plansUsed()]));
      const pushes = Object.fromEntries(suppliers.map((s) => [s.code, s.pushCount()]));
      return {
        violations: seen.violations,
        notes: [
          `suppliers: pushes received ${JSON.stringify(pushes)}, serials by plan ${JSON.stringify(plans)}`,
          `serials that reached both suppliers ${seen.pushedToSeveral}; recharged by ${JSON.stringify(seen.rechargedBy)}`,
        ],
        extra: { supplierPushes: pushes, supplierPlans: plans, pushedToSeveral: seen.pushedToSeveral, rechargedBy: seen.rechargedBy },
      };
    },
    async close() {
      await Promise.all(suppliers.map((s) => s.close()));
    },
  };
}

// 8. kill -9 of workers while their pushes to an upstream supplier are in flight (issue 18).
export function upstreamWorkerKill(ctx: SuiteContext, index: number): Promise<ScenarioOutcome> {
  const suppliers = [new ScriptedSupplier(FIRST_SUPPLIER), new ScriptedSupplier(SECOND_SUPPLIER)];
  const [first] = suppliers;
  const spec: Spec = {
    name: "upstream-worker-kill",
    fault:
      "kill -9 of a random worker every 1.5–4 s (2 workers), restarted after 0.3–1.5 s, while pushes to a slow upstream supplier (0.2–0.8 s) are in flight; " +
      "it refuses or fails some orders (failover to a second supplier) and hangs or resets on some until the kills end",
    ingress: 2,
    workers: 2,
    // Every order goes by the route; one that did not would show up as an order with no upstream channel.
    env: { DEFAULT_CHANNEL: "" },
    receivers: ["ok"],
    ratePerSec: 10,
    settleMs: 90_000,
    strictAttempts: false,
    fixture: (cluster) => upstreamRoute(cluster, suppliers),
  };
  return runScenario(ctx, spec, index, async ({ cluster }) => {
    const inFlightAtKill: number[] = [];
    const { kills, firstKill, lastKill, violations } = await killRepeatedly({
      forMs: 24_000,
      gapMs: [1_500, 4_000],
      victim: () => {
        const ready = cluster.workers.filter((w) => w.ready);
        if (ready.length < 2) return null;
        inFlightAtKill.push(first.inFlight);
        return pick(ready);
      },
      restartAfterMs: () => random(300, 1_500),
    });
    // The steady state after the fault is measured against a supplier that answers every push.
    for (const s of suppliers) s.unreliable = false;
    return {
      faultStart: firstKill || undefined,
      faultEnd: lastKill,
      faultEvents: kills,
      notes: [`${kills} worker kills; pushes in flight at ${first.code} at each kill: [${inFlightAtKill.join(", ")}]`],
      violations,
      extra: { kills, inFlightAtKill },
    };
  });
}

export const SCENARIOS: { name: string; run: (ctx: SuiteContext, index: number) => Promise<ScenarioOutcome> }[] = [
  { name: "worker-kill9", run: workerKill },
  { name: "ingress-kill9", run: ingressKill },
  { name: "redis-restart", run: redisRestart },
  { name: "postgres-restart", run: postgresRestart },
  { name: "callback-receivers", run: badReceivers },
  { name: "sigterm", run: sigterm },
  { name: "redis-partial-loss", run: redisPartialLoss },
  { name: "upstream-worker-kill", run: upstreamWorkerKill },
];
