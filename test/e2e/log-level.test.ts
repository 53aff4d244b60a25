import { spawn } from "node:child_process";
import { join } from "node:path";
import { serviceArgs, type ServiceRole } from "../../scripts/service-command";
import { eventually, freePort } from "../support/stack";
import { createTestDatabase, uniqueQueuePrefix } from "../support/test-database";

// LOG_LEVEL as `npm run start:ingress` and `start:worker` read it: lines below the level are not
// written, and a level winston does not know stops the service instead of silencing it.
let database: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

interface Run {
  stdout: string;
  stderr: string;
  /** Resolves to the exit code once the process exited. */
  exited: Promise<number | null>;
  stop(): void;
}

function run(role: ServiceRole, env: Record<string, string>): Run {
  const proc = spawn(process.execPath, serviceArgs(role), {
    cwd: join(__dirname, "..", ".."),
    env: {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
      QUEUE_PREFIX: uniqueQueuePrefix(),
      ADMIN_TOKEN: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const out: Run = {
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => proc.once("exit", (code) => resolve(code))),
    stop: () => void proc.kill("SIGTERM"),
  };
  proc.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  return out;
}

/** Whether `url` answers 200 now. */
const answers = (url: string) => fetch(url).then((res) => (res.status === 200 ? true : undefined), () => undefined);

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
