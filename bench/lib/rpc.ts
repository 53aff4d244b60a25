/**
 * A tiny request/answer protocol over the Node IPC channel between the orchestrator and the bench's
 * own child processes (load generator, baselines). One command at a time per child is enough.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { openSync } from "node:fs";

type Handler = (args: any) => Promise<unknown> | unknown;

interface Request {
  id: number;
  cmd: string;
  args: unknown;
}
interface Answer {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

/** Child side: answer commands until the parent goes away. */
export function serve(handlers: Record<string, Handler>): void {
  if (!process.send) throw new Error("this script is started by bench/run.ts (needs an IPC channel)");
  process.on("disconnect", () => process.exit(0));
  process.on("message", async (message: Request) => {
    const reply = (a: Answer) => process.send?.(a);
    const handler = handlers[message.cmd];
    if (!handler) return reply({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
    try {
      reply({ id: message.id, ok: true, result: await handler(message.args) });
    } catch (error) {
      reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
  process.send({ id: 0, ok: true, result: "ready" });
}

/** Parent side: a started child script and its commands. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readyWaiter!: Promise<void>;
  exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(readonly name: string, readonly proc: ChildProcess) {}

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  static start(name: string, script: string, opts: { cwd: string; logFile: string; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): Child {
    const log = openSync(opts.logFile, "a");
    const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), "--require", `${opts.cwd}/bench/lib/parent-watch.cjs`, "--import", "tsx", script], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", log, log, "ipc"],
    });
    const child = new Child(name, proc);
    child.readyWaiter = new Promise<void>((resolve, reject) => {
      proc.once("message", () => resolve());
      proc.once("exit", (code) => reject(new Error(`${name} exited (${code}) before it was ready; see ${opts.logFile}`)));
    });
    proc.on("message", (a: Answer) => {
      const waiter = child.pending.get(a.id);
      if (!waiter) return;
      child.pending.delete(a.id);
      if (a.ok) waiter.resolve(a.result);
      else waiter.reject(new Error(`${name}: ${a.error}`));
    });
    proc.on("exit", (code, signal) => {
      child.exited = { code, signal };
      for (const w of child.pending.values()) w.reject(new Error(`${name} exited (${code ?? signal}); see ${opts.logFile}`));
      child.pending.clear();
    });
    return child;
  }

  ready(): Promise<void> {
    return this.readyWaiter;
  }

  call<T = any>(cmd: string, args: unknown = {}): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.proc.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Closes the IPC channel (the child exits on its own), then SIGTERM/SIGKILL if it lingers. */
  async stop(timeoutMs = 5_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.proc.once("exit", () => resolve()));
    if (this.proc.connected) this.proc.disconnect();
    const t1 = setTimeout(() => this.proc.kill("SIGTERM"), timeoutMs);
    const t2 = setTimeout(() => this.proc.kill("SIGKILL"), timeoutMs * 2);
    await gone;
    clearTimeout(t1);
    clearTimeout(t2);
  }
}
