import { Client } from "pg";
import { createDatabase, migrate, readMigrations, type Database } from "../src";
import { adminQuery, databaseUrl, uniqueName } from "../../../test/support/postgres";

// The Prisma schema and the SQL migrations must describe the same database: every model is written
// and read back through the generated client, field by field, on a database built only from the SQL.
let url: string;
let name: string;
let database: Database;
let db: Database["prisma"];

beforeAll(async () => {
  name = uniqueName("topup_schema");
  await adminQuery(`CREATE DATABASE "${name}"`);
  url = databaseUrl(name);
  await migrate(url);
  database = createDatabase(url, { poolMax: 2 });
  db = database.prisma;
});
afterAll(async () => {
  await database.close();
  await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
});

describe("migration runner", () => {
  it("records every migration in Prisma's _prisma_migrations table with its sha256 checksum", async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      `SELECT migration_name, checksum, finished_at, applied_steps_count, rolled_back_at FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    await client.end();
    const files = readMigrations();
    expect(files.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.migration_name)).toEqual(files.map((f) => f.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(files[i].checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
    }
  });

  it("is idempotent: a second run applies nothing", async () => {
    const second = await migrate(url);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(readMigrations().map((f) => f.name));
  });

  it("refuses to run when an applied migration file was changed", async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    const [first] = readMigrations();
    await client.query(`UPDATE "_prisma_migrations" SET checksum = 'tampered' WHERE migration_name = $1`, [first.name]);
    await expect(migrate(url)).rejects.toThrow(/modified after it was applied/);
    await client.query(`UPDATE "_prisma_migrations" SET checksum = $1 WHERE migration_name = $2`, [first.checksum, first.name]);
    await client.end();
  });

  it("lets concurrent runners apply each migration exactly once", async () => {
    const fresh = uniqueName("topup_race");
    await adminQuery(`CREATE DATABASE "${fresh}"`);
    try {
      const results = await Promise.all([migrate(databaseUrl(fresh)), migrate(databaseUrl(fresh)), migrate(databaseUrl(fresh))]);
      const applied = results.flatMap((r) => r.applied);
      expect(applied.sort()).toEqual(readMigrations().map((f) => f.name).sort());
    } finally {
      await adminQuery(`DROP DATABASE IF EXISTS "${fresh}" WITH (FORCE)`);
    }
  });
});

describe("every Prisma model against the migrated database", () => {
  it("round-trips all fields of all models", async () => {
    const operator = await db.operator.create({
      data: {
        uid: "schema-op",
        name: "运营商",
        md5key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        rateBp: 9900,
        ipWhitelist: ["127.0.0.1", "10.0.0.0/8"],
        enabled: false,
        strictCarrier: true,
        faceValues: [1000, 5000],
        rateLimitPerSecond: 50,
        account: { create: { balance: 12n } },
      },
      include: { account: true },
    });
    expect(operator).toMatchObject({ uid: "schema-op", rateBp: 9900, enabled: false, strictCarrier: true, rateLimitPerSecond: 50 });
    expect(operator.ipWhitelist).toEqual(["127.0.0.1", "10.0.0.0/8"]);
    expect(operator.faceValues).toEqual([1000, 5000]);
    expect(operator.account?.balance).toBe(12n);

    const defaults = await db.operator.create({ data: { uid: "schema-defaults", name: "d", md5key: "k".repeat(32) } });
    expect(defaults).toMatchObject({ rateBp: 10000, enabled: true, strictCarrier: false, ipWhitelist: [], faceValues: [], rateLimitPerSecond: null });

    const order = await db.order.create({
      data: {
        serialNumber: "20261125000000000001",
        operatorId: operator.id,
        orderNo: "020160427210604000490",
        orderType: 4,
        mobileType: 3,
        phoneNumber: "13999999999",
        faceValue: 100000,
        settlementRateBp: 9900,
        notifyUrl: "http://127.0.0.1:9/callback",
        status: 2,
        channel: "simulator",
        mobileOrderNo: "508266044086865194",
        callbackState: "pending",
        callbackRound: 1,
        clientIp: "::1",
        nextCheckAt: new Date(1_700_000_000_123),
        finishedAt: new Date(1_700_000_000_456),
      },
    });
    const readBack = await db.order.findUniqueOrThrow({ where: { id: order.id } });
    expect(readBack).toEqual(order);
    expect(readBack.orderNo).toBe("020160427210604000490");
    expect(readBack.nextCheckAt?.getTime()).toBe(1_700_000_000_123);
    expect(readBack.status).toBe(2);

    const transition = await db.orderTransition.create({ data: { orderId: order.id, fromStatus: null, toStatus: 5, reason: "accepted" } });
    expect(await db.orderTransition.findUniqueOrThrow({ where: { id: transition.id } })).toEqual(transition);

    const entry = await db.ledgerEntry.create({
      data: { accountId: operator.account!.id, kind: "order_income", orderId: order.id, record: "订单收款", payMoney: 1200n, income: 1188n, expenditure: 0n, balanceAfter: 1200n },
    });
    expect(await db.ledgerEntry.findUniqueOrThrow({ where: { id: entry.id } })).toEqual(entry);
    // One order_income entry per order: the database itself refuses a second settlement.
    await expect(
      db.ledgerEntry.create({
        data: { accountId: operator.account!.id, kind: "order_income", orderId: order.id, record: "订单收款", payMoney: 1n, income: 1n, balanceAfter: 1n },
      }),
    ).rejects.toThrow();

    const attempt = await db.callbackAttempt.create({
      data: {
        orderId: order.id, round: 1, attemptNo: 1, status: 4, startedAt: new Date(), httpStatus: 500,
        bodyExcerpt: "fail", latencyMs: 12, error: null, remoteAddress: "127.0.0.1", acknowledged: false,
      },
    });
    expect(await db.callbackAttempt.findUniqueOrThrow({ where: { id: attempt.id } })).toEqual(attempt);

    const audit = await db.auditLog.create({
      data: { actor: "admin", action: "operator.update", targetType: "operator", targetId: "schema-op", before: { enabled: true }, after: { enabled: false } },
    });
    expect(await db.auditLog.findUniqueOrThrow({ where: { id: audit.id } })).toEqual(audit);

    // Idempotency key: (operator, order_no) is unique.
    await expect(
      db.order.create({ data: { ...order, id: undefined, serialNumber: "20261125000000000002" } }),
    ).rejects.toThrow();
  });
});

describe("channels, routes and channel attempts", () => {
  it("has the simulator channel after migrating, enabled and with a closed circuit", async () => {
    const simulator = await db.channel.findUniqueOrThrow({ where: { code: "simulator" } });
    expect(simulator).toMatchObject({ kind: "simulator", enabled: true, config: {}, md5key: null, concurrency: null, costBp: 0, balance: null, circuitState: "closed", consecutiveFailures: 0, consecutiveSuccesses: 0, balanceClaimedAt: null });
  });

  it("round-trips every field of the channel, route and attempt models", async () => {
    const channel = await db.channel.create({
      data: {
        code: "schema-up_1", kind: "upstream", name: "上游", enabled: false, config: { baseUrl: "https://supplier.example/x", uid: "77" },
        md5key: "a".repeat(32), concurrency: 5, costBp: 9800, balance: 123456789012n, balanceReadAt: new Date(1_700_000_000_001),
        circuitState: "half_open", circuitOpenedAt: new Date(1_700_000_000_002), consecutiveFailures: 3, consecutiveSuccesses: 2,
        balanceClaimedAt: new Date(1_700_000_000_003),
      },
    });
    expect(await db.channel.findUniqueOrThrow({ where: { code: channel.code } })).toEqual(channel);
    // Its concurrency of 5 made its slots (a trigger); each round-trips through the model.
    expect((await db.channelSlot.findMany({ where: { channelCode: channel.code }, orderBy: { slotNo: "asc" } })).map((s) => s.slotNo)).toEqual([0, 1, 2, 3, 4]);
    const slot = await db.channelSlot.update({ where: { channelCode_slotNo: { channelCode: channel.code, slotNo: 4 } }, data: { orderId: 42n, claimedAt: new Date(1_700_000_000_006) } });
    expect(await db.channelSlot.findUniqueOrThrow({ where: { channelCode_slotNo: { channelCode: channel.code, slotNo: 4 } } })).toEqual(slot);
    await db.channelSlot.update({ where: { channelCode_slotNo: { channelCode: channel.code, slotNo: 4 } }, data: { orderId: null, claimedAt: null } });

    const route = await db.route.create({
      data: {
        uid: "schema-op", orderType: 1, mobileType: 2, faceValues: [1000, 5000], priority: 7, enabled: false, holdMs: 1000,
        channels: { create: [{ channelCode: "schema-up_1", position: 0, tier: 0, weight: 3 }, { channelCode: "simulator", position: 1, tier: 1 }] },
      },
      include: { channels: { orderBy: { position: "asc" } } },
    });
    expect(await db.route.findUniqueOrThrow({ where: { id: route.id }, include: { channels: { orderBy: { position: "asc" } } } })).toEqual(route);
    expect(route.channels.map((c) => [c.channelCode, c.weight])).toEqual([["schema-up_1", 3], ["simulator", 1]]);
    const defaults = await db.route.create({ data: {} });
    expect(defaults).toMatchObject({ uid: null, orderType: null, mobileType: null, priority: 0, enabled: true, holdMs: 600000 });

    const operator = await db.operator.findUniqueOrThrow({ where: { uid: "schema-op" } });
    const order = await db.order.create({
      data: {
        serialNumber: "20261206000000000009", operatorId: operator.id, orderNo: "schema-attempts", orderType: 1, mobileType: 1,
        phoneNumber: "13812345678", faceValue: 1000, settlementRateBp: 10000, notifyUrl: "http://127.0.0.1:9/cb",
      },
    });
    const attempt = await db.channelAttempt.create({
      data: {
        orderId: order.id, channelCode: "schema-up_1", attemptNo: 1, outcome: "succeeded", answer: "{\"code\":\"200\"}",
        startedAt: new Date(1_700_000_000_003), answeredAt: new Date(1_700_000_000_004), finishedAt: new Date(1_700_000_000_005), costFen: 980n,
      },
    });
    expect(await db.channelAttempt.findUniqueOrThrow({ where: { id: attempt.id } })).toEqual(attempt);
    expect(await db.channelAttempt.create({ data: { orderId: order.id, channelCode: "simulator", attemptNo: 2 } })).toMatchObject({ outcome: "pending", answer: null, costFen: null });
    // Each channel at most once per order.
    await expect(db.channelAttempt.create({ data: { orderId: order.id, channelCode: "schema-up_1", attemptNo: 3 } })).rejects.toThrow();
  });

  it.each([
    ["an unknown kind", { code: "bad-kind", kind: "carrier", name: "x" }],
    ["a code outside [a-z0-9_-]", { code: "Bad", kind: "manual", name: "x" }],
    ["an upstream without its key", { code: "no-key", kind: "upstream", name: "x", config: { baseUrl: "http://s", uid: "1" } }],
    ["an upstream without its uid", { code: "no-uid", kind: "upstream", name: "x", config: { baseUrl: "http://s" }, md5key: "k".repeat(32) }],
    ["a key on a manual channel", { code: "keyed", kind: "manual", name: "x", md5key: "k".repeat(32) }],
    ["a config on a manual channel", { code: "configured", kind: "manual", name: "x", config: { baseUrl: "http://s" } }],
    ["costBp above 10000", { code: "dear", kind: "manual", name: "x", costBp: 10001 }],
    ["a concurrency of 0", { code: "none", kind: "manual", name: "x", concurrency: 0 }],
    ["an unknown circuit state", { code: "circuit", kind: "manual", name: "x", circuitState: "ajar" }],
  ])("refuses a channel with %s", async (_what, data) => {
    await expect(db.channel.create({ data })).rejects.toThrow(/violates check constraint/);
  });

  it("refuses a route entry naming no channel, a weight of 0, an empty face value list and a route's channel listed twice", async () => {
    const route = await db.route.create({ data: {} });
    await expect(db.routeChannel.create({ data: { routeId: route.id, channelCode: "nowhere", position: 0, tier: 0 } })).rejects.toThrow();
    await expect(db.routeChannel.create({ data: { routeId: route.id, channelCode: "simulator", position: 0, tier: 0, weight: 0 } })).rejects.toThrow(/check constraint/);
    await expect(db.route.update({ where: { id: route.id }, data: { faceValues: [] } })).rejects.toThrow(/check constraint/);
    await db.routeChannel.create({ data: { routeId: route.id, channelCode: "simulator", position: 0, tier: 0 } });
    await expect(db.routeChannel.create({ data: { routeId: route.id, channelCode: "simulator", position: 1, tier: 1 } })).rejects.toThrow();
    // Deleting a route takes its channel list with it.
    await db.route.delete({ where: { id: route.id } });
    expect(await db.routeChannel.count({ where: { routeId: route.id } })).toBe(0);
  });
});

describe("order ids", () => {
  it("can never pass 2^53 − 1 (they travel as JSON numbers)", async () => {
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT max_value FROM pg_sequences WHERE sequencename = 'orders_id_seq'`);
      expect(rows[0].max_value).toBe(String(Number.MAX_SAFE_INTEGER));
    } finally {
      await client.end();
    }
  });
});
