import { spawn } from "node:child_process";
import { join } from "node:path";
import { serviceArgs, type ServiceRole } from "../../scripts/service-command";
import { uniqueQueuePrefix } from "./test-database";

/** A service started as `npm run start:<role>` starts it, with what it wrote so far. */
export interface ServiceRun {
  stdout: string;
  stderr: string;
  /** Resolves to the exit code once the process exited (null when a signal ended it). */
  exited: Promise<number | null>;
  /** SIGTERM. */
  stop(): void;
  signal(name: NodeJS.Signals): void;
}

/** `npm run start:<role>` on `databaseUrl`, its own queue prefix, no admin token, and `env` on top. */
export function spawnService(role: ServiceRole, databaseUrl: string, env: Record<string, string>): ServiceRun {
  return spawnNode(serviceArgs(role), {
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
    QUEUE_PREFIX: uniqueQueuePrefix(),
    ADMIN_TOKEN: "",
    ...env,
  });
}

/** `node <args>` from the repository's root, with `env` on top of this process's environment. */
export function spawnNode(args: readonly string[], env: Record<string, string>): ServiceRun {
  const proc = spawn(process.execPath, args, { cwd: join(__dirname, "..", ".."), env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const out: ServiceRun = {
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => proc.once("exit", (code) => resolve(code))),
    stop: () => void proc.kill("SIGTERM"),
    signal: (name) => void proc.kill(name),
  };
  proc.stdout.on("data", (d: Buffer) => (out.stdout += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out.stderr += d.toString()));
  return out;
}

/** Whether `url` answers 200 now (undefined otherwise, for `eventually`). */
export const answers = (url: string) => fetch(url).then((res) => (res.status === 200 ? true : undefined), () => undefined);
