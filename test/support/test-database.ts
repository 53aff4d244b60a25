import { randomBytes } from "node:crypto";
import { adminQuery, databaseUrl } from "./postgres";

/**
 * A fresh, migrated database for one test file, cloned from the run's template. Named after the
 * template so that global teardown also drops clones a crashed file left behind.
 */
export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = process.env.TOPUP_TEST_TEMPLATE_DB;
  if (!template) throw new Error("TOPUP_TEST_TEMPLATE_DB is not set: run the tests through jest (global setup)");
  const name = `${template.replace("topup_tpl", "topup_t")}_${randomBytes(3).toString("hex")}`;
  await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return { url: databaseUrl(name), drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

export function uniqueQueuePrefix(): string {
  return `topup-test-${randomBytes(5).toString("hex")}`;
}
