import type { RechargeChannel } from "@topup/channels";
import { ChannelRepository, createDatabase, RouteRepository, type Database } from "@topup/db";
import { BalancePoller } from "../src/balance-poller";
import { ChannelDirectory } from "../src/channel-directory";
import { Capture, capturingLogger } from "../../../test/support/log-capture";
import { createTestDatabase } from "../../../test/support/test-database";

// Suppliers' balances (docs/channels.md): polled once a minute per channel whatever the number of
// workers (a claim by conditional UPDATE), a failed read logged and the last known balance kept.
// Two pollers, each with its own pool and channel directory, stand for two workers; the clock is the test's.
const capture = new Capture();
const logger = capturingLogger(capture);
const KEY = "0123456789abcdef0123456789abcdef";
let drop: () => Promise<void>;
const dbs: Database[] = [];
let now = Date.parse("2026-12-06T08:00:00.000Z");

/** A supplier client counting its balance reads. */
const reads: string[] = [];
const answers = new Map<string, () => Promise<number | null>>();
function supplier(code: string): RechargeChannel {
  return {
    code, kind: "upstream", stepDelayMs: 0,
    place: async () => ({ outcome: "held" }),
    query: async () => ({ state: "not_found" }),
    balance: () => {
      reads.push(code);
      return (answers.get(code) ?? (async () => 1_000))();
    },
  };
}

function poller(db: Database, options: { timeoutMs?: number } = {}): BalancePoller {
  const channels = new ChannelRepository(db);
  const directory = new ChannelDirectory({
    db, channels, routes: new RouteRepository(db), simulatorStepMs: 0, logger, maxAgeMs: 0,
    upstream: (code) => supplier(code),
  });
  return new BalancePoller(directory, channels, logger, { clock: () => now, ...options });
}

let channels: ChannelRepository;
beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  dbs.push(createDatabase(database.url, { poolMax: 3 }), createDatabase(database.url, { poolMax: 3 }));
  channels = new ChannelRepository(dbs[0]);
  for (const code of ["up-a", "up-b"]) {
    await channels.create({ code, kind: "upstream", name: code, enabled: true, config: { baseUrl: "http://s.invalid", uid: "9", md5key: KEY }, concurrency: null, costBp: 0 });
  }
  await channels.create({ code: "up-off", kind: "upstream", name: "off", enabled: false, config: { baseUrl: "http://s.invalid", uid: "9", md5key: KEY }, concurrency: null, costBp: 0 });
});
afterAll(async () => {
  await Promise.all(dbs.map((db) => db.close()));
  await drop();
});
beforeEach(() => {
  reads.length = 0;
  capture.lines.length = 0;
});

it("reads each enabled supplier's balance once a minute, whichever of two workers polls", async () => {
  const [one, two] = [poller(dbs[0]), poller(dbs[1])];
  const [first, second] = await Promise.all([one.pollOnce(), two.pollOnce()]);
  expect(reads.sort()).toEqual(["up-a", "up-b"]); // not the disabled one, nor the simulator (no balance())
  expect([...first.read, ...second.read].sort()).toEqual(["up-a", "up-b"]);
  const row = await channels.findByCode("up-a");
  expect(row).toMatchObject({ balance: 1_000, balanceReadAt: new Date(now) });

  now += 30_000;
  await Promise.all([one.pollOnce(), two.pollOnce()]);
  expect(reads).toHaveLength(2); // claimed for the minute

  now += 30_000; // a minute after the first
  answers.set("up-a", async () => 2_500);
  await Promise.all([two.pollOnce(), one.pollOnce()]);
  expect(reads.sort()).toEqual(["up-a", "up-a", "up-b", "up-b"]);
  expect(await channels.findByCode("up-a")).toMatchObject({ balance: 2_500, balanceReadAt: new Date(now) });
});

it("keeps the last known balance and its time when a read fails, and warns without secrets", async () => {
  const before = await channels.findByCode("up-b");
  now += 60_000;
  answers.set("up-b", async () => {
    throw new Error("connect ECONNREFUSED 10.0.0.9:443");
  });
  answers.set("up-a", async () => null); // cannot be known now
  const result = await poller(dbs[0]).pollOnce();
  expect(result.failed.sort()).toEqual(["up-a", "up-b"]);
  expect(await channels.findByCode("up-b")).toMatchObject({ balance: before!.balance, balanceReadAt: before!.balanceReadAt });
  const warnings = capture.lines.filter((l) => l.includes("channel balance read failed; keeping the last known balance"));
  expect(warnings).toHaveLength(2);
  expect(warnings.some((l) => l.includes("ECONNREFUSED") && l.includes("up-b"))).toBe(true);
  expect(warnings.some((l) => l.includes("balance not known now") && l.includes("up-a"))).toBe(true);
  expect(capture.lines.join("\n")).not.toContain(KEY);
  // The failed read counted as this minute's: the next worker does not try again at once.
  expect(await poller(dbs[1]).pollOnce()).toEqual({ read: [], failed: [] });
});

it("gives up on a read that does not answer in time", async () => {
  now += 60_000;
  answers.set("up-a", () => new Promise(() => undefined));
  answers.set("up-b", async () => 7);
  const result = await poller(dbs[0], { timeoutMs: 50 }).pollOnce();
  expect(result).toEqual({ read: ["up-b"], failed: ["up-a"] });
  expect(capture.lines.find((l) => l.includes("up-a"))).toContain("no answer within 50 ms");
});
