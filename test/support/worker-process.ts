import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { PlatformConfig } from "@topup/config";
import { serviceArgs } from "../../scripts/service-command";

/** `npm run start:worker` as a child process on `config` (so a test can kill -9 it); resolves once it is ready. */
export function startWorkerProcess(config: PlatformConfig, env: Record<string, string> = {}): Promise<ChildProcess> {
  const proc = spawn(process.execPath, serviceArgs("worker"), {
    cwd: join(__dirname, "..", ".."),
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: config.queuePrefix,
      CALLBACK_ALLOWED_CIDRS: config.callbackAllowedCidrs,
      CALLBACK_BACKOFF_MS: String(config.callbackBackoffMs),
      SIMULATOR_STEP_MS: String(config.simulatorStepMs),
      DEFAULT_CHANNEL: config.defaultChannel,
      PUBLIC_BASE_URL: config.publicBaseUrl,
      WORKER_METRICS_PORT: "0", // several worker processes share this host
      LOG_LEVEL: "info",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`worker process not ready: ${out}`)), 20_000);
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes('"worker ready"')) {
        clearTimeout(timer);
        resolve(proc);
      }
    });
    proc.once("exit", (code) => reject(new Error(`worker process exited (${code}): ${out}`)));
  });
}
