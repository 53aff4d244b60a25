import { Client } from "pg";
import { loadConfig } from "@topup/config";

// Creates the database named in DATABASE_URL when it does not exist yet (quick start, docker-compose).
async function main(): Promise<void> {
  const target = new URL(loadConfig().databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!/^[\w-]+$/.test(name)) throw new Error(`unexpected database name "${name}"`);
  for (const maintenance of ["postgres", "template1"]) {
    const url = new URL(target);
    url.pathname = `/${maintenance}`;
    const client = new Client({ connectionString: url.toString() });
    try {
      await client.connect();
    } catch {
      continue;
    }
    try {
      const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
      if (rowCount === 0) {
        await client.query(`CREATE DATABASE "${name}"`);
        console.log(`created database ${name}`);
      }
      return;
    } finally {
      await client.end();
    }
  }
  throw new Error(`cannot reach PostgreSQL at ${target.host}`);
}

main().catch((error: unknown) => {
  console.error(`create-database failed: ${(error as Error).message}`);
  process.exit(1);
});
