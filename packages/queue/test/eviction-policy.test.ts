import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import IORedis from "ioredis";
import { checkEvictionPolicy, evictionPolicy } from "../src";

// BullMQ needs maxmemory-policy noeviction. A private redis-server with another policy (the
// machine's shared one must keep its own).
let server: ChildProcess;
let port: number;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.once("error", reject);
  });
}

beforeAll(async () => {
  port = await freePort();
  server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--maxmemory-policy", "allkeys-lru"], { stdio: "ignore" });
  const probe = new IORedis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => 50 });
  for (let i = 0; i < 100; i++) {
    if (await probe.ping().then(() => true, () => false)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  probe.disconnect();
});
afterAll(() => {
  server.kill("SIGKILL");
});

it("warns when Redis may evict keys, naming the policy", async () => {
  const redis = new IORedis({ port, host: "127.0.0.1" });
  try {
    expect(await evictionPolicy(redis)).toBe("allkeys-lru");
    const warnings: unknown[][] = [];
    await checkEvictionPolicy(redis, (...args) => warnings.push(args));
    expect(warnings).toHaveLength(1);
    expect(warnings[0][0]).toMatch(/maxmemory-policy is not noeviction/);
    expect(warnings[0][1]).toEqual({ policy: "allkeys-lru" });

    await redis.config("SET", "maxmemory-policy", "noeviction");
    warnings.length = 0;
    await checkEvictionPolicy(redis, (...args) => warnings.push(args));
    expect(warnings).toEqual([]);
  } finally {
    redis.disconnect();
  }
});

it("never fails the start when Redis cannot be asked", async () => {
  const unreachable = new IORedis({ port: await freePort(), host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  const warnings: unknown[] = [];
  await expect(checkEvictionPolicy(unreachable, (m) => warnings.push(m))).resolves.toBeUndefined();
  expect(warnings).toEqual([]);
  unreachable.disconnect();
});
