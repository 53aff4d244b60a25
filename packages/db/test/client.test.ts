import pg from "pg";
import { createDatabase } from "../src";
import { withServerSetting } from "../src/client";
import { createTestDatabase } from "../../../test/support/test-database";

let drop: () => Promise<void>;
let url: string;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  url = database.url;
});
afterAll(() => drop());

describe("withServerSetting", () => {
  it("adds the setting as pg's startup options when the URL has none", () => {
    expect(withServerSetting("postgresql://root@127.0.0.1:5432/topup", "-c a=1")).toEqual({
      connectionString: "postgresql://root@127.0.0.1:5432/topup",
      options: "-c a=1",
    });
  });

  it("moves the URL's own options over, ahead of the setting (the URL's would replace pg's option)", () => {
    expect(withServerSetting("postgresql://root@127.0.0.1:5432/topup?options=-c%20b%3D2&sslmode=disable", "-c a=1")).toEqual({
      connectionString: "postgresql://root@127.0.0.1:5432/topup?sslmode=disable",
      options: "-c b=2 -c a=1",
    });
  });

  it("leaves a connection string that is not a URL as it is", () => {
    expect(withServerSetting("host=/var/run/postgresql dbname=topup", "-c a=1")).toEqual({
      connectionString: "host=/var/run/postgresql dbname=topup",
      options: "-c a=1",
    });
  });
});

describe("the pools' connections", () => {
  it("have their planning settings from their first query on, keep the URL's own settings, and send no query of their own", async () => {
    // pg 9 refuses a query sent while another runs on the same client; a SET on "connect" was one.
    const sent = jest.spyOn(pg.Client.prototype, "query");
    const db = createDatabase(`${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent("-c statement_timeout=12345")}`, { poolMax: 3 });
    const settings = "SELECT current_setting('plan_cache_mode') AS plan, current_setting('enable_seqscan') AS seqscan, current_setting('statement_timeout') AS timeout, pg_sleep(0.05)";
    try {
      // Three new connections at once in each pool, each handed its first query as soon as it is open.
      const read = (pool: pg.Pool) => Promise.all([1, 2, 3].map(async () => {
        const { rows: [row] } = await pool.query<{ plan: string; seqscan: string; timeout: string }>(settings);
        return { plan: row.plan, seqscan: row.seqscan, timeout: row.timeout };
      }));
      expect(await read(db.pool)).toEqual(Array(3).fill({ plan: "force_custom_plan", seqscan: "on", timeout: "12345ms" }));
      expect(await read(db.keyedPool)).toEqual(Array(3).fill({ plan: "force_generic_plan", seqscan: "off", timeout: "12345ms" }));
      expect(sent).toHaveBeenCalledTimes(6);
    } finally {
      sent.mockRestore();
      await db.close();
    }
  });

  it("never JIT-compile a keyed statement, whose cost the priced-out sequential scans inflate past jit_above_cost", async () => {
    // JIT at every execution of such a plan was a 60 s run's runaway backend (docs/performance.md).
    const db = createDatabase(url, { poolMax: 1 });
    const client = await db.keyedPool.connect();
    try {
      await client.query("CREATE TEMP TABLE unindexed (x integer)");
      await client.query("INSERT INTO unindexed SELECT generate_series(1, 100)");
      const { rows: [{ "QUERY PLAN": [plan] }] } = await client.query<{ "QUERY PLAN": { Plan: { "Total Cost": number }; JIT?: unknown }[] }>(
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(x) FROM unindexed",
      );
      const { rows: [{ jit_above_cost }] } = await client.query<{ jit_above_cost: string }>("SELECT current_setting('jit_above_cost') AS jit_above_cost");
      expect(plan.Plan["Total Cost"]).toBeGreaterThan(Number(jit_above_cost)); // the trap is armed
      expect(plan.JIT).toBeUndefined();
    } finally {
      client.release();
      await db.close();
    }
  });
});
