import {
  ChannelAttemptRepository,
  ChannelRepository,
  createDatabase,
  DuplicateChannelError,
  OperatorRepository,
  OrderRepository,
  RouteRepository,
  UnknownChannelError,
  type Database,
  type NewRoute,
} from "../src";
import { createTestDatabase } from "../../../test/support/test-database";

// Channels, routes and channel attempts (PROTOCOL §12) as the repositories store and read them.
let drop: () => Promise<void>;
let db: Database;
let channels: ChannelRepository;
let routes: RouteRepository;
let attempts: ChannelAttemptRepository;

const KEY = "0123456789abcdef0123456789abcdef";
const upstream = (code: string) => ({
  code, kind: "upstream" as const, name: `上游 ${code}`, enabled: true,
  config: { baseUrl: "https://supplier.example", uid: "9001", md5key: KEY }, concurrency: 10, costBp: 9700,
});
const manual = (code: string) => ({ code, kind: "manual" as const, name: code, enabled: true, config: null, concurrency: null, costBp: 0 });
const anyRoute = (codes: string[]): NewRoute => ({
  uid: null, orderType: null, mobileType: null, faceValues: null, priority: 0, enabled: true, holdMs: 600_000,
  channels: codes.map((code, tier) => ({ code, tier, weight: 1 })),
});

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = createDatabase(database.url, { poolMax: 4 });
  channels = new ChannelRepository(db);
  routes = new RouteRepository(db);
  attempts = new ChannelAttemptRepository(db);
});
afterAll(async () => {
  await db.close();
  await drop();
});

describe("ChannelRepository", () => {
  it("stores an upstream with its config but hands out records without the key", async () => {
    const created = await channels.create(upstream("up-a"));
    expect(created).toMatchObject({ code: "up-a", kind: "upstream", config: { baseUrl: "https://supplier.example", uid: "9001" }, concurrency: 10, costBp: 9700, circuitState: "closed", balance: null });
    expect(JSON.stringify(created)).not.toContain(KEY);
    expect(JSON.stringify(await channels.findByCode("up-a"))).not.toContain(KEY);
    expect(JSON.stringify(await channels.list())).not.toContain(KEY);
    // The key is in its own column, not in the config document.
    const [row] = await db.query<{ config: unknown; md5_key: string }>("test_channel_row", "SELECT config, md5_key FROM channels WHERE code = $1", ["up-a"]);
    expect(row).toEqual({ config: { baseUrl: "https://supplier.example", uid: "9001" }, md5_key: KEY });
    expect(await channels.upstreamCredentials("up-a")).toEqual({ baseUrl: "https://supplier.example", uid: "9001", md5key: KEY });
  });

  it("refuses a second channel with the same code", async () => {
    await channels.create(manual("dup"));
    await expect(channels.create(manual("dup"))).rejects.toBeInstanceOf(DuplicateChannelError);
  });

  it("lists the simulator with every other channel, by code", async () => {
    const codes = (await channels.list()).map((c) => c.code);
    expect(codes).toContain("simulator");
    expect(codes).toEqual([...codes].sort());
    expect(await channels.findByCode("nowhere")).toBeNull();
    expect(await channels.upstreamCredentials("simulator")).toBeNull();
  });

  it("patches config fields one by one, keeps the others, and says when the key changed", async () => {
    await channels.create(upstream("up-b"));
    const moved = await channels.update("up-b", { config: { baseUrl: "http://other.example:8088" }, costBp: 0 });
    expect(moved!.before.config!.baseUrl).toBe("https://supplier.example");
    expect(moved!.after).toMatchObject({ config: { baseUrl: "http://other.example:8088", uid: "9001" }, costBp: 0 });
    expect(moved!.md5keyChanged).toBe(false);
    expect((await channels.upstreamCredentials("up-b"))!.md5key).toBe(KEY);

    const rotated = await channels.update("up-b", { config: { md5key: "f".repeat(32) } });
    expect(rotated!.md5keyChanged).toBe(true);
    expect(JSON.stringify(rotated)).not.toContain("f".repeat(32));
    expect(await channels.upstreamCredentials("up-b")).toEqual({ baseUrl: "http://other.example:8088", uid: "9001", md5key: "f".repeat(32) });
    expect(rotated!.after.updatedAt.getTime()).toBeGreaterThanOrEqual(rotated!.before.updatedAt.getTime());
  });

  it("updates the simulator (it can be disabled) and answers null for an unknown code", async () => {
    const changed = await channels.update("simulator", { enabled: false, concurrency: 3 });
    expect(changed!.after).toMatchObject({ enabled: false, concurrency: 3, kind: "simulator", config: null });
    await channels.update("simulator", { enabled: true, concurrency: null });
    expect(await channels.update("nowhere", { enabled: false })).toBeNull();
  });
});

describe("RouteRepository", () => {
  beforeAll(async () => {
    await channels.create(manual("r-one"));
    await channels.create(manual("r-two"));
  });

  it("creates a route with its channels in order, null fields matching any", async () => {
    const route = await routes.create({ ...anyRoute(["r-one", "simulator"]), channels: [{ code: "r-one", tier: 0, weight: 5 }, { code: "simulator", tier: 0, weight: 1 }] });
    expect(route.id).toMatch(/^[1-9]\d*$/);
    expect(route).toMatchObject({ uid: null, orderType: null, mobileType: null, faceValues: null, priority: 0, enabled: true, holdMs: 600_000 });
    expect(route.channels).toEqual([{ code: "r-one", tier: 0, weight: 5 }, { code: "simulator", tier: 0, weight: 1 }]);
    expect(await routes.findById(route.id)).toEqual(route);
    const [row] = await db.query<{ face_values: number[] | null }>("test_route_row", "SELECT face_values FROM routes WHERE id = $1", [route.id]);
    expect(row.face_values).toBeNull();
  });

  it("refuses a route naming a channel that does not exist, and stores nothing of it", async () => {
    const before = (await routes.list()).length;
    const error = await routes.create(anyRoute(["r-one", "ghost", "phantom"])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownChannelError);
    expect((error as UnknownChannelError).codes).toEqual(["ghost", "phantom"]);
    expect((await routes.list()).length).toBe(before);
  });

  it("updates fields, replaces the channel list, and sets face values to a list and back to any", async () => {
    const route = await routes.create({ ...anyRoute(["r-one"]), uid: "3928857", faceValues: [1000] });
    expect(route.faceValues).toEqual([1000]);
    const changed = await routes.update(route.id, { channels: [{ code: "r-two", tier: 0, weight: 2 }, { code: "r-one", tier: 1, weight: 1 }], faceValues: null, priority: 9, mobileType: 3 });
    expect(changed!.before).toEqual(route);
    expect(changed!.after).toMatchObject({ uid: "3928857", faceValues: null, priority: 9, mobileType: 3 });
    expect(changed!.after.channels).toEqual([{ code: "r-two", tier: 0, weight: 2 }, { code: "r-one", tier: 1, weight: 1 }]);
    const again = await routes.update(route.id, { faceValues: [500, 1000], uid: null });
    expect(again!.after).toMatchObject({ faceValues: [500, 1000], uid: null, priority: 9 });
    expect(again!.after.channels).toEqual(changed!.after.channels);
    expect(await routes.findById(route.id)).toEqual(again!.after);
  });

  it("keeps a route as it was when its new channel list names an unknown channel", async () => {
    const route = await routes.create(anyRoute(["r-one"]));
    await expect(routes.update(route.id, { channels: [{ code: "ghost", tier: 0, weight: 1 }], priority: 4 })).rejects.toBeInstanceOf(UnknownChannelError);
    expect(await routes.findById(route.id)).toEqual(route);
  });

  it("deletes a route with its channel list, and answers null for an unknown id", async () => {
    const route = await routes.create(anyRoute(["r-one", "r-two"]));
    expect(await routes.delete(route.id)).toEqual(route);
    expect(await routes.findById(route.id)).toBeNull();
    const [row] = await db.query<{ n: string }>("test_route_channels_left", "SELECT count(*) AS n FROM route_channels WHERE route_id = $1", [route.id]);
    expect(row.n).toBe("0");
    expect(await routes.delete(route.id)).toBeNull();
    expect(await routes.update(route.id, { priority: 1 })).toBeNull();
  });
});

describe("ChannelAttemptRepository", () => {
  it("numbers an order's attempts from 1, once per channel, and lists them in that order", async () => {
    const operator = await new OperatorRepository(db).create({
      uid: "attempts-op", name: "运营商", md5key: "k".repeat(32), rateBp: 10000, ipWhitelist: [], enabled: true, strictCarrier: false, faceValues: [], rateLimitPerSecond: null,
    });
    const { order } = await new OrderRepository(db).insert({
      operatorId: operator.id, orderNo: "A1", orderType: 1, mobileType: 1, phoneNumber: "13812345678",
      faceValue: 1000, settlementRateBp: 10000, notifyUrl: "http://127.0.0.1/cb", clientIp: null,
    });
    expect(await attempts.listForOrder(order.id)).toEqual([]);
    const first = await attempts.start(order.id, "simulator");
    expect(first).toMatchObject({ orderId: order.id, channelCode: "simulator", attemptNo: 1, outcome: "pending", answer: null, costFen: null, finishedAt: null });
    expect(first!.startedAt).toBeInstanceOf(Date);
    expect(await attempts.start(order.id, "simulator")).toBeNull(); // each channel at most once per order
    const second = await attempts.start(order.id, "r-one");
    expect(second!.attemptNo).toBe(2);
    expect((await attempts.listForOrder(order.id)).map((a) => [a.attemptNo, a.channelCode])).toEqual([[1, "simulator"], [2, "r-one"]]);
  });
});
