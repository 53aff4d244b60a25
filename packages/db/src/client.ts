import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/prisma/client";

export interface DatabaseOptions {
  /** Pool size per process; ingress and worker scale by process count, so keep each pool modest. */
  poolMax?: number;
}

/**
 * The database as the repositories see it: one pg pool per process, shared by the Prisma client
 * (model CRUD: operators, audit, admin reads) and by the hand-written SQL of the order path, which
 * runs as named prepared statements straight on the pool, where Prisma's per-statement CPU cost
 * would dominate.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly prisma: PrismaClient;

  constructor(databaseUrl: string, options: DatabaseOptions = {}) {
    this.pool = new pg.Pool({
      // The order path's named statements are planned at every execution. A cached generic plan is
      // made while `orders` is small (a seq scan), and without an ANALYZE to invalidate it — autovacuum
      // off, or not yet due — it stays so: 20 ms per batched lookup at 200k orders instead of 0.1 ms.
      // Planning costs ~0.1 ms per statement, shared by the orders of a batch. Set in the startup
      // packet: a SET sent on "connect" would race the first query (pg 9 refuses concurrent queries).
      ...withServerSetting(databaseUrl, "-c plan_cache_mode=force_custom_plan"),
      max: options.poolMax ?? 10,
      // Fail fast when PostgreSQL is unreachable so that ingress can answer 503 instead of hanging.
      connectionTimeoutMillis: 5_000,
    });
    // An idle client losing its connection (PostgreSQL restarting) must not crash the process;
    // the pool drops it and the next query opens a new one.
    this.pool.on("error", () => undefined);
    this.prisma = new PrismaClient({ adapter: new PrismaPg(this.pool) });
  }

  /** A named (prepared once per connection) statement: the order path's SQL. */
  async query<R extends pg.QueryResultRow>(name: string, text: string, values: unknown[]): Promise<R[]> {
    const result = await this.pool.query<R>({ name, text, values });
    return result.rows;
  }

  async close(): Promise<void> {
    await this.prisma.$disconnect();
    await this.pool.end().catch(() => undefined);
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
