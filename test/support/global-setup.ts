import { migrate } from "../../packages/db/src/migrate";
import { adminQuery, databaseUrl, uniqueName } from "./postgres";

/**
 * Once per jest run: a freshly migrated template database. Each test file clones it
 * (CREATE DATABASE … TEMPLATE), which takes milliseconds, so every file has a fresh database.
 */
export default async function globalSetup(): Promise<void> {
  const template = uniqueName("topup_tpl");
  await adminQuery(`CREATE DATABASE "${template}"`);
  await migrate(databaseUrl(template));
  process.env.TOPUP_TEST_TEMPLATE_DB = template;
}
