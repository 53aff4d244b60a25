/**
 * `npm run test:faults` — the fault-injection suite of issue #3.
 *
 * Starts a PRIVATE PostgreSQL cluster and a PRIVATE redis-server on their own loopback ports (never
 * the machine's shared ones), runs each scenario of ./scenarios.ts against real ingress and worker
 * processes under a steady load of signed pushes, prints a table, writes
 * test/faults/results/latest.json, removes everything it started, and exits non-zero when any
 * invariant failed. Bounded: every loop is bounded in count and time, and a watchdog ends the run.
 *
 *   npm run test:faults                     all scenarios
 *   npm run test:faults -- --only=sigterm   some of them (comma-separated names)
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { killAllChildrenSync, ROOT } from "./processes";
import { details, table, writeJson, type ScenarioOutcome } from "./report";
import { SCENARIOS, type SuiteContext } from "./scenarios";
import { PrivatePostgres, PrivateRedis } from "./services";

const RESULTS = join(ROOT, "test", "faults", "results");
const WATCHDOG_MS = Number(process.env.FAULTS_WATCHDOG_MS ?? 12 * 60_000);

// Ports below Linux's ephemeral range (32768–60999): a restarted server must never find its port
// taken as the source port of some client connection (EADDRINUSE on restart).
const pg = new PrivatePostgres(Number(process.env.FAULTS_PG_PORT ?? 21432));
const redis = new PrivateRedis(Number(process.env.FAULTS_REDIS_PORT ?? 21379));
let cleaned = false;

function cleanupSync(): void {
  if (cleaned) return;
  cleaned = true;
  killAllChildrenSync();
  redis.destroySync();
  pg.destroySync();
}

process.on("exit", cleanupSync);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the fault suite and cleaning up`);
    cleanupSync();
    process.exit(130);
  });
}

async function main(): Promise<number> {
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  const selected = SCENARIOS.map((s, index) => ({ ...s, index })).filter((s) => !only || only.some((o) => s.name.includes(o)));
  const watchdog = setTimeout(() => {
    console.error(`\nwatchdog: the fault suite ran longer than ${WATCHDOG_MS / 1000} s; aborting`);
    cleanupSync();
    process.exit(3);
  }, WATCHDOG_MS);
  watchdog.unref();

  const suiteStart = Date.now();
  console.log(`fault suite: private PostgreSQL on 127.0.0.1:${pg.port}, private Redis on 127.0.0.1:${redis.port}`);
  await pg.init();
  await redis.start();
  const template = "faults_template";
  await pg.query("postgres", `CREATE DATABASE "${template}"`);
  await promisify(execFile)("npm", ["run", "--silent", "migrate"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: pg.url(template) },
    timeout: 60_000,
  });
  const ctx: SuiteContext = {
    pg,
    redis,
    template,
    logRoot: join(RESULTS, "logs", new Date().toISOString().replace(/[:.]/g, "-")),
    basePort: Number(process.env.FAULTS_BASE_PORT ?? 21500),
  };
  pruneOldLogs(join(RESULTS, "logs"), 5);
  console.log(`platform logs: ${ctx.logRoot}`);

  const outcomes: ScenarioOutcome[] = [];
  for (const s of selected) {
    const label = s.name;
    process.stdout.write(`running ${label} … `);
    let outcome: ScenarioOutcome;
    try {
      outcome = await s.run(ctx, s.index);
    } catch (error) {
      outcome = crashed(label, error as Error);
      // A scenario that died half-way may have left a service down: bring them back for the next one.
      await redis.start().catch(() => undefined);
      await pg.start().catch(() => undefined);
    }
    outcomes.push(outcome);
    console.log(`${outcome.passed ? "PASS" : "FAIL"} (${outcome.durationS.toFixed(0)} s)`);
  }

  console.log(`\n${table(outcomes)}`);
  console.log(details(outcomes));
  const passed = outcomes.every((o) => o.passed);
  const file = join(RESULTS, "latest.json");
  writeJson(file, {
    finishedAt: new Date().toISOString(),
    durationS: Math.round((Date.now() - suiteStart) / 1000),
    passed,
    logs: ctx.logRoot,
    scenarios: outcomes,
  });
  console.log(`\n${outcomes.filter((o) => o.passed).length}/${outcomes.length} scenarios passed in ${Math.round((Date.now() - suiteStart) / 1000)} s; JSON: ${file}`);
  return passed ? 0 : 1;
}

/** Keeps the platform logs of the last `keep` runs only. */
function pruneOldLogs(dir: string, keep: number): void {
  if (!existsSync(dir)) return;
  const runs = readdirSync(dir).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(dir, old), { recursive: true, force: true });
}

function crashed(name: string, error: Error): ScenarioOutcome {
  return {
    name,
    fault: "(scenario crashed)",
    durationS: 0,
    faultEvents: 0,
    notes: [],
    extra: {},
    passed: false,
    pushed: 0,
    acknowledged: 0,
    stored: 0,
    terminal: 0,
    heldAt2: 0,
    lost: 0,
    stuck: 0,
    doubleSettlements: 0,
    settlementErrors: 0,
    backwards: 0,
    twoChannels: 0,
    failovers: 0,
    missingCallbacks: 0,
    duplicateCallbacks: 0,
    excessDeliveries: 0,
    callbacksFailed: 0,
    badSigns: 0,
    recoveryS: null,
    duplicateSample: [],
    settleBefore: null,
    settleAfter: null,
    violations: [`SCENARIO CRASHED: ${error.stack ?? error.message}`],
  };
}

main().then(
  (code) => {
    cleanupSync();
    process.exit(code);
  },
  (error: unknown) => {
    console.error("fault suite failed:", error);
    cleanupSync();
    process.exit(2);
  },
);
