/**
 * PRIVATE PostgreSQL and Redis instances for the fault suite, on their own loopback ports. The
 * machine's shared PostgreSQL (5432) and Redis (6379) are never touched: these two are the ones
 * the suite kills and restarts.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";

const run = promisify(execFile);
const PG_BIN = process.env.FAULTS_PG_BIN ?? "/usr/lib/postgresql/15/bin";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portInUse(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (used: boolean) => {
      socket.destroy();
      resolve(used);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** A throwaway PostgreSQL 15 cluster owned by the `postgres` user, trust auth, loopback only. */
export class PrivatePostgres {
  readonly dir: string;
  private readonly dataDir: string;
  private running = false;

  constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), "topup-faults-pg-"));
    this.dataDir = join(this.dir, "data");
  }

  get adminUrl(): string {
    return this.url("postgres");
  }

  url(database: string): string {
    return `postgresql://root@127.0.0.1:${this.port}/${database}`;
  }

  private asPostgres(args: string[], timeoutMs = 60_000) {
    return run("runuser", ["-u", "postgres", "--", ...args], { timeout: timeoutMs });
  }

  async init(): Promise<void> {
    if (await portInUse(this.port)) throw new Error(`port ${this.port} is taken; set FAULTS_PG_PORT`);
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(this.dir, uid, gid);
    await this.asPostgres([`${PG_BIN}/initdb`, "-D", this.dataDir, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    await this.start();
    const client = new Client({ connectionString: `postgresql://postgres@127.0.0.1:${this.port}/postgres` });
    await client.connect();
    try {
      await client.query("CREATE ROLE root SUPERUSER LOGIN");
    } finally {
      await client.end();
    }
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
    await this.asPostgres([`${PG_BIN}/pg_ctl`, "-D", this.dataDir, "-o", options, "-l", join(this.dir, "postgres.log"), "-w", "-t", "60", "start"]);
    this.running = true;
  }

  /** A crash: no checkpoint, no goodbye to clients; the next start runs crash recovery. */
  async stopImmediate(): Promise<void> {
    await this.asPostgres([`${PG_BIN}/pg_ctl`, "-D", this.dataDir, "-m", "immediate", "-w", "stop"]);
    this.running = false;
  }

  async query<T = Record<string, unknown>>(database: string, sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  /** Synchronous, for exit handlers: stop the cluster and remove its directory. */
  destroySync(): void {
    try {
      if (this.running) {
        execFileSync("runuser", ["-u", "postgres", "--", `${PG_BIN}/pg_ctl`, "-D", this.dataDir, "-m", "immediate", "-w", "stop"], {
          stdio: "ignore",
          timeout: 30_000,
        });
      }
    } catch {
      // already down
    }
    this.running = false;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server child process without persistence: killing and starting it again means an empty Redis. */
export class PrivateRedis {
  private child: ChildProcess | null = null;
  readonly dir: string;

  constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), "topup-faults-redis-"));
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error("redis already running");
    if (await portInUse(this.port)) throw new Error(`port ${this.port} is taken; set FAULTS_REDIS_PORT`);
    writeFileSync(join(this.dir, "redis.log"), "", { flag: "a" });
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir, "--logfile", join(this.dir, "redis.log")],
      { stdio: "ignore" },
    );
    this.child = child;
    child.once("exit", () => {
      if (this.child === child) this.child = null;
    });
    await waitUntil("redis", () => this.ping(), 10_000, 50);
  }

  private ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: this.port });
      let answer = "";
      const done = (ok: boolean) => {
        socket.destroy();
        resolve(ok);
      };
      socket.setTimeout(500, () => done(false));
      socket.once("connect", () => socket.write("PING\r\n"));
      socket.on("data", (d) => {
        answer += d.toString();
        if (answer.includes("\r\n")) done(answer.startsWith("+PONG"));
      });
      socket.once("error", () => done(false));
    });
  }

  /** SIGKILL: every key is gone (no persistence). Resolves once the process has exited. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await exited;
    this.child = null;
  }

  destroySync(): void {
    try {
      this.child?.kill("SIGKILL");
    } catch {
      // gone
    }
    this.child = null;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
