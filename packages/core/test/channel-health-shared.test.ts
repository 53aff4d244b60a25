import IORedis from "ioredis";
import winston from "winston";
import { ChannelRepository, createDatabase, type Database } from "@topup/db";
import { ChannelHealth, type ChannelHealthOptions } from "../src/channel-health";
import { createTestDatabase, uniqueQueuePrefix } from "../../../test/support/test-database";
import { clearQueues } from "../../../test/support/stack";

// Channel health shared by several worker processes (docs/channels.md): each flush is one Redis
// pipeline and one SQL statement; the circuit moves in PostgreSQL by conditional UPDATEs, once
// however many processes decide the same move. Two ChannelHealth instances, each with its own pool
// and Redis connection, stand for two workers; a clock of the test's own moves time.
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
let drop: () => Promise<void>;
let prefix: string;
const dbs: Database[] = [];
const redises: IORedis[] = [];
let now = Date.parse("2026-12-06T08:00:05.000Z");
let seq = 0;

function worker(options: ChannelHealthOptions = {}): { health: ChannelHealth; channels: ChannelRepository } {
  const db = dbs[redises.length % 2]; // alternately one pool and the other
  const redis = new IORedis(REDIS_URL, { maxRetriesPerRequest: null });
  redises.push(redis);
  const channels = new ChannelRepository(db);
  return { health: new ChannelHealth({ channels, redis, prefix, logger }, { clock: () => now, ...options }), channels };
}

let url: string;
beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  url = database.url;
  prefix = uniqueQueuePrefix();
  dbs.push(createDatabase(url, { poolMax: 2 }), createDatabase(url, { poolMax: 2 }));
});
afterAll(async () => {
  for (const redis of redises) redis.disconnect();
  await clearQueues(REDIS_URL, prefix);
  await Promise.all(dbs.map((db) => db.close()));
  await drop();
});

async function newChannel(channels: ChannelRepository): Promise<string> {
  const code = `shared-${seq++}`;
  await channels.create({ code, kind: "manual", name: code, enabled: true, config: null, concurrency: null, costBp: 0 });
  return code;
}

const errors = (health: ChannelHealth, code: string, n: number) => {
  for (let i = 0; i < n; i++) health.record(code, "error", null, 30);
};
const oks = (health: ChannelHealth, code: string, n: number) => {
  for (let i = 0; i < n; i++) health.record(code, "ok", null, 10);
};

it("adds up consecutive errors across processes and opens the circuit once, in the database", async () => {
  const a = worker();
  const b = worker();
  const code = await newChannel(a.channels);
  errors(a.health, code, 3);
  await a.health.flush();
  expect((await a.channels.findByCode(code))?.consecutiveFailures).toBe(3);
  // Both report at once; together they reach 5 errors in a row: one of them opens the circuit.
  errors(a.health, code, 1);
  errors(b.health, code, 1);
  await Promise.all([a.health.flush(), b.health.flush()]);
  const row = await a.channels.findByCode(code);
  expect(row).toMatchObject({ circuitState: "open", consecutiveFailures: 5, circuitOpenedAt: new Date(now) });
  // Either saw 5 (the second statement to run); the other, 4.
  expect([...a.health.moves, ...b.health.moves]).toEqual([{ code, from: "closed", to: "open", reason: "5 consecutive errors" }]);
});

it("moves an open circuit to half-open once after the cool-down, whichever processes look", async () => {
  const a = worker({ circuit: { coolDownMs: 30_000 } });
  const b = worker({ circuit: { coolDownMs: 30_000 } });
  const code = await newChannel(a.channels);
  errors(a.health, code, 5);
  await a.health.flush();
  expect((await a.channels.findByCode(code))?.circuitState).toBe("open");
  now += 29_999;
  await Promise.all([a.health.flush(), b.health.flush()]); // no calls: they look because a circuit is open
  expect((await a.channels.findByCode(code))?.circuitState).toBe("open");
  now += 1;
  await Promise.all([a.health.flush(), b.health.flush()]);
  expect(await a.channels.findByCode(code)).toMatchObject({ circuitState: "half_open", consecutiveFailures: 0, consecutiveSuccesses: 0 });
  const halfOpen = [...a.health.moves, ...b.health.moves].filter((m) => m.code === code && m.to === "half_open");
  expect(halfOpen).toHaveLength(1);

  // Probation: 3 ok calls (from both) close it; the window starts afresh.
  oks(a.health, code, 2);
  oks(b.health, code, 1);
  await a.health.flush();
  await b.health.flush();
  expect(await a.channels.findByCode(code)).toMatchObject({ circuitState: "closed", consecutiveFailures: 0, consecutiveSuccesses: 0 });
  expect((await a.health.figures([code]))?.get(code)?.calls).toBe(0);
});

it("does not move a circuit that another process re-opened meanwhile (the opening it saw is gone)", async () => {
  const { channels } = worker();
  const code = await newChannel(channels);
  const openedAt = new Date(now - 60_000);
  await dbs[0].pool.query("UPDATE channels SET circuit_state = 'open', circuit_opened_at = $2 WHERE code = $1", [code, openedAt]);
  expect(await channels.moveCircuit(code, { state: "open", openedAt: new Date(now - 1) }, "half_open", new Date(now))).toBe(false);
  expect(await channels.moveCircuit(code, { state: "closed", openedAt }, "open", new Date(now))).toBe(false);
  expect(await channels.moveCircuit(code, { state: "open", openedAt }, "half_open", new Date(now))).toBe(true);
  expect(await channels.moveCircuit(code, { state: "open", openedAt }, "half_open", new Date(now))).toBe(false);
});

it("opens on a success rate below 50 % over the shared window, with no 5 errors in a row", async () => {
  const a = worker();
  const b = worker();
  const code = await newChannel(a.channels);
  // 24 calls in all, 14 errors, never more than 2 in a row in either process.
  for (let i = 0; i < 6; i++) {
    errors(a.health, code, 2);
    oks(a.health, code, 1);
  }
  await a.health.flush();
  expect((await a.channels.findByCode(code))?.circuitState).toBe("closed"); // 18 calls: too few to judge
  for (let i = 0; i < 2; i++) {
    oks(b.health, code, 2);
    errors(b.health, code, 1);
  }
  await b.health.flush();
  const row = await a.channels.findByCode(code);
  expect(row?.circuitState).toBe("open");
  expect(b.health.moves).toEqual([{ code, from: "closed", to: "open", reason: "success rate 41.7 % over 24 calls" }]);
  const figures = (await a.health.figures([code]))!.get(code)!;
  expect([figures.calls, figures.errors]).toEqual([24, 14]);
  expect(a.health.view(row!, figures)).toMatchObject({ window: 60, calls: 24, errors: 14, successRate: 0.4167, latencyMs: { avg: expect.any(Number) } });
});

it("keeps the window in 10 s buckets that expire once they have left it", async () => {
  const a = worker();
  const code = await newChannel(a.channels);
  oks(a.health, code, 4);
  await a.health.flush();
  const redis = redises[0];
  const keys = await redis.keys(`${prefix}:health:${code}:*`);
  expect(keys).toEqual([`${prefix}:health:${code}:${now - (now % 10_000)}`]);
  const ttl = await redis.pttl(keys[0]);
  expect(ttl).toBeGreaterThan(60_000);
  expect(ttl).toBeLessThanOrEqual(80_000);
  now += 10_000;
  oks(a.health, code, 1);
  await a.health.flush();
  expect((await a.health.figures([code]))?.get(code)?.calls).toBe(5);
  now += 50_000; // the first bucket has left the window (its key may still be there), the second not yet
  expect((await a.health.figures([code]))?.get(code)?.calls).toBe(1);
  now += 10_000;
  expect((await a.health.figures([code]))?.get(code)?.calls).toBe(0);
});

it("does nothing when there were no calls and every circuit is closed", async () => {
  const a = worker();
  await dbs[0].pool.query("UPDATE channels SET circuit_state = 'closed'"); // earlier tests left some open
  await a.health.flush(); // the first flush looks all the same: it knows no circuit yet
  const spy = jest.spyOn(a.channels, "addCallCounts");
  await a.health.flush();
  expect(spy).not.toHaveBeenCalled();
});
