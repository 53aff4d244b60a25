import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client";

export interface DatabaseOptions {
  /** Pool size per process; ingress and worker scale by process count, so keep each pool modest. */
  poolMax?: number;
}

/**
 * The database as the repositories see it: two pg pools per process. `pool` serves the Prisma
 * client (model CRUD: operators, audit, admin reads) and the hand-written statements whose best
 * plan depends on their parameters (searches, pages, reports). `keyedPool` serves the order path's
 * batched statements, which only ever reach rows through their keys; they run as named prepared
 * statements straight on pg, where Prisma's per-statement CPU cost would dominate.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly keyedPool: pg.Pool;
  readonly prisma: PrismaClient;

  constructor(databaseUrl: string, options: DatabaseOptions = {}) {
    const max = options.poolMax ?? 10;
    // Fail fast when PostgreSQL is unreachable so that ingress can answer 503 instead of hanging.
    const connectionTimeoutMillis = 5_000;
    // Settings go in the startup packet: a SET sent on "connect" would race the first query (pg 9
    // refuses concurrent queries).
    this.pool = new pg.Pool({
      // Planned at every execution: a cached generic plan made while `orders` is small (a seq scan)
      // stays so without an ANALYZE to invalidate it — autovacuum off, or not yet due — and a
      // page or report is planned for the values it is given.
      ...withServerSetting(databaseUrl, "-c plan_cache_mode=force_custom_plan"),
      max,
      connectionTimeoutMillis,
    });
    this.keyedPool = new pg.Pool({
      // Planned once per connection: planning the batched CTEs at every execution took about two
      // thirds of their CPU. With sequential scans priced out, the plan made while the tables are
      // still small reaches rows by index, and stays right as they grow (query-plans.test.ts). The
      // priced-out scans inflate the plan's cost past jit_above_cost: JIT would compile every execution.
      ...withServerSetting(databaseUrl, "-c plan_cache_mode=force_generic_plan -c enable_seqscan=off -c jit=off"),
      max,
      connectionTimeoutMillis,
    });
    // An idle client losing its connection (PostgreSQL restarting) must not crash the process;
    // the pool drops it and the next query opens a new one.
    this.pool.on("error", () => undefined);
    this.keyedPool.on("error", () => undefined);
    this.prisma = new PrismaClient({ adapter: new PrismaPg(this.pool) });
  }

  /** A named (prepared once per connection) statement, planned for the values of each execution. */
  async query<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]> {
    const result = await this.pool.query<R>({ name, text, values });
    return result.rows;
  }

  /**
   * A named statement of the order path that finds every row it reads or writes by a key (ids, an
   * order's attempts, an operator's account): planned once per connection, never by sequential
   * scan. A statement that filters or ranges over a table belongs in query().
   */
  async keyed<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]> {
    const result = await this.keyedPool.query<R>({ name, text, values });
    return result.rows;
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await Promise.all([this.pool.end().catch(() => undefined), this.keyedPool.end().catch(() => undefined)]);
  }
}

/**
 * pg's connection settings with one more server setting in the startup packet's `options`. An
 * `options` in the URL would replace pg's option of that name, so it moves over, ahead of ours.
 */
export function withServerSetting(databaseUrl: string, setting: string): { connectionString: string; options: string } {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return { connectionString: databaseUrl, options: setting }; // not a URL: no options of its own
  }
  const own = url.searchParams.get("options");
  if (own === null) return { connectionString: databaseUrl, options: setting };
  url.searchParams.delete("options");
  return { connectionString: url.toString(), options: `${own} ${setting}` };
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  return new Database(databaseUrl, options);
}
