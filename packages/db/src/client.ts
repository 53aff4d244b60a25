import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

export type Database = PrismaClient;

export interface DatabaseOptions {
  /** Pool size per process; ingress and worker scale by process count, so keep each pool modest. */
  poolMax?: number;
}

export function createDatabase(databaseUrl: string, options: DatabaseOptions = {}): Database {
  const adapter = new PrismaPg({
    connectionString: databaseUrl,
    max: options.poolMax ?? 10,
    // Fail fast when PostgreSQL is unreachable so that ingress can answer 503 instead of hanging.
    connectionTimeoutMillis: 5_000,
  });
  return new PrismaClient({ adapter });
}
