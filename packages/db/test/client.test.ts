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

describe("the pool's connections", () => {
  it("plan every execution afresh from their first query on, keep the URL's own settings, and send no query of their own", async () => {
    // pg 9 refuses a query sent while another runs on the same client; a SET on "connect" was one.
    const sent = jest.spyOn(pg.Client.prototype, "query");
    const db = createDatabase(`${url}${url.includes("?") ? "&" : "?"}options=${encodeURIComponent("-c statement_timeout=12345")}`, { poolMax: 3 });
    try {
      // Three new connections at once, each handed its first query as soon as it is open.
      const rows = await Promise.all(
        [1, 2, 3].map(() => db.pool.query<{ plan: string; timeout: string }>("SELECT current_setting('plan_cache_mode') AS plan, current_setting('statement_timeout') AS timeout, pg_sleep(0.05)")),
      );
      expect(rows.map((r) => ({ plan: r.rows[0].plan, timeout: r.rows[0].timeout }))).toEqual(Array(3).fill({ plan: "force_custom_plan", timeout: "12345ms" }));
      expect(sent).toHaveBeenCalledTimes(3);
    } finally {
      sent.mockRestore();
      await db.close();
    }
  });
});
