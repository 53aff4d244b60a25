/**
 * The platform as real processes: what `npm run start:<role>` runs, one OS process per
 * ingress or worker, configured only through the environment (PROTOCOL §11), killed with real signals.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname, join } from "node:path";
import { serviceArgs, type ServiceRole } from "../../scripts/service-command";
import { sleep } from "./services";

export const ROOT = join(__dirname, "..", "..");

/** Every child the suite started, so that an exit handler can SIGKILL whatever is left. */
const LIVE = new Set<ChildProcess>();

export function killAllChildrenSync(): void {
  for (const child of LIVE) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
  }
  LIVE.clear();
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export class PlatformProcess {
  private child: ChildProcess | null = null;
  private log: WriteStream;
  private exited: Promise<ExitInfo> | null = null;
  /** How many times this slot was started (restarts included). */
  starts = 0;
  lastExit: ExitInfo | null = null;
  private readyResolve: (() => void) | null = null;

  constructor(
    readonly role: ServiceRole,
    readonly name: string,
    private readonly env: Record<string, string>,
    logFile: string,
    readonly port?: number,
    readonly adminPort?: number,
  ) {
    mkdirSync(dirname(logFile), { recursive: true });
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Started and announced itself ready (not merely spawned, not starting up). */
  ready = false;

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get adminUrl(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  /** Starts the process and resolves once it logged that it is ready (bounded by timeoutMs). */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error(`${this.name} already running`);
    this.starts++;
    this.ready = false;
    const readyText = this.role === "ingress" ? '"ingress listening"' : '"worker ready"';
    const ready = new Promise<void>((resolve) => (this.readyResolve = resolve));
    const child = spawn(process.execPath, serviceArgs(this.role), {
      cwd: ROOT,
      env: { ...process.env, ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    LIVE.add(child);
    this.log.write(`--- ${new Date().toISOString()} start #${this.starts} pid ${child.pid}\n`);
    let pending = "";
    const onData = (chunk: Buffer) => {
      this.log.write(chunk);
      pending += chunk.toString("utf8");
      if (this.readyResolve && pending.includes(readyText)) {
        this.readyResolve();
        this.readyResolve = null;
      }
      if (pending.length > 4096) pending = pending.slice(-1024);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once("exit", (code, signal) => {
        const info = { code, signal, at: Date.now() };
        this.log.write(`--- ${new Date().toISOString()} exit code=${code} signal=${signal}\n`);
        LIVE.delete(child);
        if (this.child === child) {
          this.child = null;
          this.ready = false;
        }
        this.lastExit = info;
        resolve(info);
      });
    });
    const outcome = await Promise.race([
      ready.then(() => "ready" as const),
      this.exited.then(() => "exited" as const),
      sleep(timeoutMs).then(() => "timeout" as const),
    ]);
    if (outcome !== "ready") {
      this.readyResolve = null;
      throw new Error(`${this.name} did not become ready (${outcome}); see its log`);
    }
    this.ready = true;
  }

  /** kill -9: no handler runs, nothing is flushed or handed back. */
  async kill9(): Promise<ExitInfo | null> {
    const child = this.child;
    if (!child || !this.exited) return null;
    child.kill("SIGKILL");
    return this.exited;
  }

  /** Sends SIGTERM and waits (bounded) for the exit; null when it did not exit in time. */
  async terminate(timeoutMs: number): Promise<ExitInfo | null> {
    const child = this.child;
    if (!child || !this.exited) return this.lastExit;
    child.kill("SIGTERM");
    return Promise.race([this.exited, sleep(timeoutMs).then(() => null)]);
  }

  /** SIGTERM, and SIGKILL after `graceMs` if still running. */
  async stop(graceMs = 15_000): Promise<ExitInfo | null> {
    const exit = await this.terminate(graceMs);
    if (exit) return exit;
    return this.kill9();
  }

  close(): void {
    this.log.end();
  }
}
