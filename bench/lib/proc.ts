/**
 * Processes the bench starts, and what the kernel says about them: CPU time (utime+stime, all
 * threads) and resident memory, read from /proc. A sampler records every tracked process once a
 * second so that memory over a run, and CPU over any phase, can be reported.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { execFileSync } from "node:child_process";
import { serviceArgs, type ServiceRole } from "../../scripts/service-command";

const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface ProcReading {
  cpuMs: number;
  rssMb: number;
}

/** CPU time (ms, user+system, every thread) and RSS (MiB) of a live process, or null when gone. */
export function readProc(pid: number): ProcReading | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is state (field 3); utime is field 14, stime field 15 → indexes 11, 12
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    // a process that has exited but is not yet reaped (zombie) has CPU totals but no memory
    return { cpuMs, rssMb: rss ? Number(rss[1]) / 1024 : NaN };
  } catch {
    return null;
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; a tiny race is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** A platform process (ingress or worker) run exactly as production would: its npm start script's node command. */
export class PlatformProcess {
  exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly spawnedAtUs: number;
  private constructor(readonly name: string, readonly proc: ChildProcess, readonly logFile: string) {
    this.spawnedAtUs = Number(process.hrtime.bigint() / 1000n);
    proc.on("exit", (code, signal) => (this.exited = { code, signal }));
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  static start(name: string, role: ServiceRole, opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string; profileDir?: string }): PlatformProcess {
    const log = openSync(opts.logFile, "a");
    // One directory per process: tsx's module hooks run in a second thread that writes a profile of
    // its own, so a fixed --cpu-prof-name would let it overwrite the main thread's.
    const profile = opts.profileDir ? ["--cpu-prof", `--cpu-prof-dir=${opts.profileDir}/${name}`] : [];
    const preload = ["--require", `${opts.cwd}/bench/lib/parent-watch.cjs`, "--require", `${opts.cwd}/bench/lib/server-timing.cjs`];
    const proc = spawn(process.execPath, serviceArgs(role, [...profile, ...preload]), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", log, log],
    });
    return new PlatformProcess(name, proc, opts.logFile);
  }

  /** SIGTERM (the services' clean stop: finish in-flight work, write the CPU profile), SIGKILL after the timeout. */
  async stop(timeoutMs = 35_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
    this.proc.kill("SIGTERM");
    const killer = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs);
    await gone;
    clearTimeout(killer);
  }

  logTail(lines = 20): string {
    try {
      return readFileSync(this.logFile, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}

export interface TrackedProcess {
  /** e.g. "ingress-0", "worker-0", "operator", "pg-backend:1234", "redis-server". */
  key: string;
  /** Aggregation group: ingress, worker, operator (load generator + receiver), postgres, redis, baseline… */
  group: string;
  pid: number;
}

export interface Snapshot {
  atMs: number;
  readings: Map<string, ProcReading & { group: string }>;
}

/** Samples every tracked process each second; phases take snapshots at their edges. */
export class Sampler {
  private readonly tracked = new Map<string, TrackedProcess>();
  /** Last reading of every process ever seen (a process that ended keeps its last CPU total). */
  private readonly last = new Map<string, ProcReading & { group: string }>();
  readonly series: { atMs: number; rssMb: Record<string, number> }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly t0 = Date.now();
  /** Called before each sample, e.g. to refresh the list of PostgreSQL backends. */
  refresh: () => Promise<void> = async () => undefined;

  track(p: TrackedProcess): void {
    this.tracked.set(p.key, p);
    this.read(p);
  }

  untrack(key: string): void {
    this.tracked.delete(key);
  }

  trackedKeys(): string[] {
    return [...this.tracked.keys()];
  }

  private read(p: TrackedProcess): (ProcReading & { group: string }) | null {
    const r = readProc(p.pid);
    if (!r) {
      this.tracked.delete(p.key);
      return null;
    }
    const reading = { ...r, group: p.group };
    this.last.set(p.key, reading);
    return reading;
  }

  async snapshot(): Promise<Snapshot> {
    await this.refresh().catch(() => undefined);
    for (const p of [...this.tracked.values()]) this.read(p);
    return { atMs: Date.now(), readings: new Map(this.last) };
  }

  start(everyMs = 1000): void {
    const tick = async () => {
      const snap = await this.snapshot();
      const rss: Record<string, number> = {};
      for (const [key, r] of snap.readings) {
        if (this.tracked.has(key) && !key.startsWith("pg-") && Number.isFinite(r.rssMb)) rss[key] = Math.round(r.rssMb * 10) / 10;
      }
      this.series.push({ atMs: snap.atMs - this.t0, rssMb: rss });
      this.timer = setTimeout(tick, everyMs);
    };
    this.timer = setTimeout(tick, everyMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  get startedAt(): number {
    return this.t0;
  }
}

/** CPU used between two snapshots, per process and per group (ms). New processes count from zero. */
export function cpuBetween(a: Snapshot, b: Snapshot): { byProcess: Record<string, number>; byGroup: Record<string, number> } {
  const byProcess: Record<string, number> = {};
  const byGroup: Record<string, number> = {};
  for (const [key, end] of b.readings) {
    const start = a.readings.get(key)?.cpuMs ?? 0;
    const used = Math.max(0, end.cpuMs - start);
    if (used === 0 && !a.readings.has(key) && key.startsWith("pg-")) continue;
    byProcess[key] = used;
    byGroup[end.group] = (byGroup[end.group] ?? 0) + used;
  }
  return { byProcess, byGroup };
}
