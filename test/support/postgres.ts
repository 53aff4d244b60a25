import { randomBytes } from "node:crypto";
import { Client } from "pg";

/** The server the tests run against; each run and each test file gets databases of its own there. */
export const ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://root@127.0.0.1:5432/test";

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
}

/** The rows of one query on the database at `url`, on a connection of its own. */
export async function queryRows(url: string, text: string, values: unknown[] = []): Promise<any[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}
