import type { ServiceRole } from "../../scripts/service-command";
import { answers, spawnService } from "../support/service-process";
import { eventually, freePort } from "../support/stack";
import { createTestDatabase } from "../support/test-database";

// LOG_LEVEL as `npm run start:ingress` and `start:worker` read it: lines below the level are not
// written, and a level winston does not know stops the service instead of silencing it.
let database: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

const run = (role: ServiceRole, env: Record<string, string>) => spawnService(role, database.url, env);

it("the ingress at LOG_LEVEL=warn writes its warnings and none of its info lines", async () => {
  const [port, adminPort] = [await freePort(), await freePort()];
  const ingress = run("ingress", { LOG_LEVEL: "warn", PORT: String(port), ADMIN_PORT: String(adminPort) });
  await eventually(() => answers(`http://127.0.0.1:${adminPort}/healthz`), 20_000, 100);
  ingress.stop();
  expect(await ingress.exited).toBe(0);
  expect(ingress.stderr).toContain('"ADMIN_TOKEN is empty: the admin API refuses every call"');
  expect(ingress.stdout).toBe(""); // "ingress listening" and "stopping…" are info lines
});

it("the worker at LOG_LEVEL=warn writes none of its info lines", async () => {
  const metricsPort = await freePort();
  const worker = run("worker", { LOG_LEVEL: "warn", WORKER_METRICS_PORT: String(metricsPort) });
  await eventually(() => answers(`http://127.0.0.1:${metricsPort}/readyz`), 20_000, 100);
  worker.stop();
  expect(await worker.exited).toBe(0);
  expect(worker.stdout).toBe(""); // "worker ready" and "stopping…" are info lines
});

it.each(["ingress", "worker"] as const)("the %s refuses a LOG_LEVEL that names no level, and says so", async (role) => {
  const service = run(role, { LOG_LEVEL: "loud", WORKER_METRICS_PORT: "0", PORT: "0", ADMIN_PORT: "0" });
  expect(await service.exited).toBe(1);
  expect(service.stderr).toContain(`"level":"error","message":"${role} failed to start"`);
  expect(service.stderr).toContain('LOG_LEVEL must be one of error, warn, info, http, verbose, debug, silly, got \\"loud\\"');
});
