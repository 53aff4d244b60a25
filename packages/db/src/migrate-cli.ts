import { loadConfig } from "@topup/config";
import { migrate } from "./migrate";

// `npm run migrate`: applies pending migrations to DATABASE_URL.
async function main(): Promise<void> {
  const { databaseUrl } = loadConfig();
  const { applied, alreadyApplied } = await migrate(databaseUrl);
  for (const name of alreadyApplied) console.log(`already applied  ${name}`);
  for (const name of applied) console.log(`applied          ${name}`);
  console.log(applied.length === 0 ? "database is up to date" : `${applied.length} migration(s) applied`);
}

main().catch((error: unknown) => {
  console.error(`migrate failed: ${(error as Error).message}`);
  process.exit(1);
});
