import net from "node:net";
import { answers, spawnService } from "../support/service-process";
import { eventually, freePort } from "../support/stack";
import { createTestDatabase } from "../support/test-database";

// A service takes SIGTERM from the moment its start begins: a worker already answers /healthz
// while it waits for Redis, and a stop asked for then must wait for the start and close cleanly.
let database: { url: string; drop: () => Promise<void> };
let proxy: net.Server;
let redisUrl: string;
const HOLD_MS = 3_000;

beforeAll(async () => {
  database = await createTestDatabase();
  // Redis behind a proxy that holds every new connection for HOLD_MS before passing it on.
  const target = new URL(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379");
  proxy = net.createServer((client) => {
    client.pause();
    setTimeout(() => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname, () => {
        client.pipe(upstream).pipe(client);
        client.resume();
      });
      const end = () => (client.destroy(), upstream.destroy());
      upstream.on("error", end);
      client.on("error", end);
      client.on("close", end);
      upstream.on("close", end);
    }, HOLD_MS);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  redisUrl = `redis://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => proxy.close(resolve));
  await database.drop();
});

it("a worker stopped while it still waits for Redis finishes its start, closes and exits 0", async () => {
  const metricsPort = await freePort();
  const worker = spawnService("worker", database.url, { REDIS_URL: redisUrl, LOG_LEVEL: "info", WORKER_METRICS_PORT: String(metricsPort) });
  await eventually(() => answers(`http://127.0.0.1:${metricsPort}/healthz`), 20_000, 50);
  expect(worker.stdout).not.toContain('"worker ready"'); // still held by the proxy
  worker.stop();
  expect(await worker.exited).toBe(0);
  expect(worker.stdout).toContain('"worker ready"');
  expect(worker.stdout).toContain('"stopping: finishing active jobs"');
}, 40_000);
