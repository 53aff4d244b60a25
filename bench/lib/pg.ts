/**
 * PostgreSQL for the bench: the machine's server (default) or, with --pgss, a private throw-away
 * cluster with pg_stat_statements preloaded (the machine's server does not preload it and is not
 * ours to restart). Fresh databases per run, statement and tuple counters, cleanup.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { Client } from "pg";
import { freePort } from "./proc";

export interface PgServer {
  /** postgresql://root@127.0.0.1:PORT — append /dbname. */
  base: string;
  kind: "machine" | "private";
  pgss: boolean;
  stop(): Promise<void>;
}

export function dbUrl(server: PgServer, name: string): string {
  return `${server.base}/${name}`;
}

export async function adminQuery<T = any>(server: PgServer, sql: string, params: unknown[] = [], db = "postgres"): Promise<T[]> {
  const client = new Client({ connectionString: dbUrl(server, db) });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export function machinePg(): PgServer {
  return { base: "postgresql://root@127.0.0.1:5432", kind: "machine", pgss: false, stop: async () => undefined };
}

function pgBin(tool: string): string {
  const out = execFileSync("bash", ["-c", "ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1"]).toString().trim();
  return `${out}/${tool}`;
}

/**
 * A private cluster under /var/tmp (same disk as the machine's server) on a free loopback port,
 * configured like the machine's server (fsync on, synchronous_commit on, autovacuum off unless asked,
 * shared_buffers 128MB) plus pg_stat_statements. Runs as the postgres OS user; removed at stop.
 */
export async function privatePg(id: string, { autovacuum = false } = {}): Promise<PgServer> {
  const dir = `/var/tmp/bench-pg-${id}`;
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  execFileSync("chown", ["postgres:postgres", dir]);
  const asPostgres = (args: string[]) => {
    const r = spawnSync("runuser", ["-u", "postgres", "--", ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.stderr || r.stdout}`);
  };
  asPostgres([pgBin("initdb"), "-D", `${dir}/data`, "-U", "root", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]);
  const opts = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories=${dir}`,
    "-c fsync=on",
    "-c synchronous_commit=on",
    // A 10 s naptime (default 1 min) lets autovacuum reach its steady state within a bounded run.
    autovacuum ? "-c autovacuum=on -c autovacuum_naptime=10s" : "-c autovacuum=off",
    "-c shared_buffers=128MB",
    "-c max_wal_size=1GB",
    "-c max_connections=200",
    "-c shared_preload_libraries=pg_stat_statements",
    "-c pg_stat_statements.track=all",
    "-c pg_stat_statements.max=5000",
    "-c TimeZone=Etc/UTC",
  ].join(" ");
  asPostgres([pgBin("pg_ctl"), "-D", `${dir}/data`, "-l", `${dir}/server.log`, "-w", "-t", "60", "-o", opts, "start"]);
  return {
    base: `postgresql://root@127.0.0.1:${port}`,
    kind: "private",
    pgss: true,
    async stop() {
      if (existsSync(`${dir}/data/postmaster.pid`)) {
        spawnSync("runuser", ["-u", "postgres", "--", pgBin("pg_ctl"), "-D", `${dir}/data`, "-m", "fast", "-w", "stop"], { encoding: "utf8" });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server's own configuration that matters for commit cost. */
export async function serverSettings(server: PgServer): Promise<Record<string, string>> {
  const rows = await adminQuery<{ name: string; setting: string }>(
    server,
    `SELECT name, setting FROM pg_settings WHERE name IN ('server_version','fsync','synchronous_commit','wal_sync_method','shared_buffers','max_connections','autovacuum','commit_delay','shared_preload_libraries')`,
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
}

export async function createDatabase(server: PgServer, name: string, template?: string): Promise<void> {
  await adminQuery(server, `CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
}

export async function dropDatabase(server: PgServer, name: string): Promise<void> {
  await adminQuery(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

/** Applies the project's migrations with its own runner (`npm run migrate`). */
export function migrate(cwd: string, url: string): void {
  const r = spawnSync("npm", ["run", "--silent", "migrate"], { cwd, env: { ...process.env, DATABASE_URL: url }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`npm run migrate failed: ${r.stderr || r.stdout}`);
}

export interface DbCounters {
  xact_commit: number;
  xact_rollback: number;
  tup_returned: number;
  tup_fetched: number;
  tup_inserted: number;
  tup_updated: number;
  tup_deleted: number;
  blks_hit: number;
  blks_read: number;
}

/**
 * Cumulative counters of one database (pg_stat_database). Backends publish their counters when
 * they go idle (at most once a second) and when they exit; read these after the stack's processes
 * have stopped for exact figures.
 */
export async function dbCounters(server: PgServer, name: string): Promise<DbCounters> {
  const rows = await adminQuery(
    server,
    `SELECT xact_commit, xact_rollback, tup_returned, tup_fetched, tup_inserted, tup_updated, tup_deleted, blks_hit, blks_read
       FROM pg_stat_database WHERE datname = $1`,
    [name],
  );
  const r = rows[0] ?? {};
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])) as unknown as DbCounters;
}

export async function tableCounters(server: PgServer, name: string): Promise<Record<string, Record<string, number>>> {
  const rows = await adminQuery(
    server,
    `SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, coalesce(idx_tup_fetch, 0) AS idx_tup_fetch, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
       FROM pg_stat_user_tables ORDER BY relname`,
    [],
    name,
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { seq_scan: Number(r.seq_scan), seq_tup_read: Number(r.seq_tup_read), idx_scan: Number(r.idx_scan), idx_tup_fetch: Number(r.idx_tup_fetch), n_tup_ins: Number(r.n_tup_ins), n_tup_upd: Number(r.n_tup_upd), n_tup_hot_upd: Number(r.n_tup_hot_upd), n_tup_del: Number(r.n_tup_del) }]));
}

export interface StatementStat {
  label: string;
  /** false for statements run inside another one (foreign-key checks of triggers, functions). */
  toplevel: boolean;
  calls: number;
  totalMs: number;
  meanMs: number;
  rows: number;
  query: string;
}

/** Names a statement after the repository method that sends it (by its text). */
export function labelStatement(query: string): string {
  const q = query.replace(/\s+/g, " ").trim();
  const rules: [RegExp, string][] = [
    [/^WITH input AS .*INSERT INTO orders/i, "OrderRepository.insert (batched CTE: orders + order_transitions)"],
    [/^WITH input AS .*INSERT INTO callback_attempts/i, "CallbackRepository.recordAttempt (batched CTE: callback_attempts + orders)"],
    [/^WITH input AS .*UPDATE orders SET status/i, "OrderRepository.transitionPath (batched CTE: orders + order_transitions [+ accounts + ledger_entries])"],
    [/^SELECT \* FROM orders WHERE id =/i, "OrderRepository.findById"],
    [/^SELECT \* FROM orders WHERE operator_id =/i, "OrderRepository.findByOrderNo"],
    [/^UPDATE orders SET next_check_at/i, "OrderRepository.reschedule"],
    [/^SELECT \* FROM orders WHERE next_check_at </i, "OrderRepository.findOverdue (reconciler: steps and open callback rounds)"],
    [/^SELECT o\.\*, op\.uid AS operator_uid/i, "CallbackRepository.loadDelivery (batched: orders + operator + attempt count)"],
    [/FROM "public"\."operators".*"public"\."accounts"|FROM "public"\."accounts".*"public"\."operators"/i, "OperatorRepository.findById/findByUid (Prisma, with account)"],
    [/FROM "public"\."operators"/i, "OperatorRepository.* (Prisma, operators)"],
    [/FROM "public"\."accounts"/i, "OperatorRepository.* (Prisma, accounts)"],
    [/^(BEGIN|COMMIT|ROLLBACK)/i, "transaction control"],
    [/^INSERT INTO orders \(serial_number/i, "baseline: raw INSERT"],
  ];
  for (const [re, label] of rules) if (re.test(q)) return label;
  return q.slice(0, 100);
}

export async function resetStatements(server: PgServer, name: string): Promise<void> {
  if (!server.pgss) return;
  await adminQuery(server, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", [], name);
  await adminQuery(server, "SELECT pg_stat_statements_reset()", [], name);
}

/** pg_stat_statements of one database (private cluster only), most called first. */
export async function statements(server: PgServer, name: string): Promise<StatementStat[]> {
  if (!server.pgss) return [];
  await adminQuery(server, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements", [], name);
  const rows = await adminQuery(
    server,
    `SELECT query, toplevel, calls, total_exec_time, rows FROM pg_stat_statements
      WHERE dbid = (SELECT oid FROM pg_database WHERE datname = $1) ORDER BY calls DESC`,
    [name],
    name,
  );
  return rows
    .map((r) => ({
      label: r.toplevel ? labelStatement(r.query) : `nested: ${/FOR KEY SHARE/.test(r.query) ? "foreign-key check" : "statement"} on ${/FROM ONLY "public"\."(\w+)"/.exec(r.query)?.[1] ?? "?"}`,
      toplevel: Boolean(r.toplevel),
      calls: Number(r.calls),
      totalMs: Number(r.total_exec_time),
      meanMs: Number(r.total_exec_time) / Math.max(1, Number(r.calls)),
      rows: Number(r.rows),
      query: String(r.query).replace(/\s+/g, " ").trim().slice(0, 240),
    }))
    .filter((s) => !/pg_stat_statements|pg_stat_user_tables|FROM pg_database/i.test(s.query));
}

/** pids of this cluster's processes: backends of the given databases, and the shared background processes. */
export async function backendPids(monitor: Client, dbPrefix: string): Promise<{ pid: number; datname: string | null; backendType: string }[]> {
  const { rows } = await monitor.query(`SELECT pid, datname, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()`);
  return rows
    .map((r) => ({ pid: Number(r.pid), datname: r.datname as string | null, backendType: String(r.backend_type) }))
    .filter((r) => (r.datname ? r.datname.startsWith(dbPrefix) : r.backendType !== "client backend"));
}

/**
 * What the run's backends are doing, sampled: active on CPU (no wait event), waiting on a lock,
 * on WAL flush (commit), on I/O, or idle waiting for the client. One row per backend per sample.
 */
export class WaitSampler {
  private timer: NodeJS.Timeout | undefined;
  private counts = new Map<string, number>();
  private samples = 0;
  private stopped = false;
  constructor(private readonly monitor: Client, private readonly dbPrefix: string) {}

  start(everyMs = 100): void {
    const tick = async () => {
      try {
        const { rows } = await this.monitor.query(
          `SELECT state, wait_event_type, wait_event FROM pg_stat_activity
            WHERE datname LIKE $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
          [`${this.dbPrefix}%`],
        );
        this.samples++;
        for (const r of rows) {
          const key =
            r.state === "active" ? (r.wait_event_type ? `active: waiting ${r.wait_event_type}:${r.wait_event}` : "active: on CPU") : `${r.state}${r.wait_event ? ` (${r.wait_event})` : ""}`;
          this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
        }
      } catch {
        // sampling is best effort
      }
      if (!this.stopped) this.timer = setTimeout(tick, everyMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Average number of backends in each state over the samples taken since start(). */
  stop(): { samples: number; avgBackends: Record<string, number> } {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const avg = Object.fromEntries(
      [...this.counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, Math.round((100 * n) / Math.max(1, this.samples)) / 100]),
    );
    return { samples: this.samples, avgBackends: avg };
  }
}
