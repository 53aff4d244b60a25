import { Client } from "pg";
import { ADMIN_DATABASE_URL } from "./postgres";

/** Drops the run's template and any test database it cloned. */
export default async function globalTeardown(): Promise<void> {
  const template = process.env.TOPUP_TEST_TEMPLATE_DB;
  if (!template) return;
  const client = new Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2`,
      [template, `${template.replace("topup_tpl", "topup_t")}%`],
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
