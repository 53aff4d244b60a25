import { spawn } from "node:child_process";
import { join } from "node:path";

// runService in a process of its own (it installs signal handlers and exits): how a stop during
// the start, a failed start and a failed close end the process.
interface Run {
  out: () => string;
  exited: Promise<number | null>;
  signal: (name: NodeJS.Signals) => void;
}

const FIXTURE = join(__dirname, "fixtures", "service-child.ts");

async function run(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  child.stdout.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr.on("data", (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const ready = () => text.includes("handlers installed") && (child.stdout.off("data", ready), resolve());
    child.stdout.on("data", ready);
    void exited.then(() => reject(new Error(`exited before its handlers were installed: ${text}`)));
  });
  return { out: () => text, exited, signal: (name) => void child.kill(name) };
}

it("a stop during a start that never ends gives up after the start wait, exits 1 and says why", async () => {
  const child = await run({ SERVICE_START: "never", SERVICE_START_WAIT_MS: "300" });
  const sent = Date.now();
  child.signal("SIGTERM");
  expect(await child.exited).toBe(1);
  expect(Date.now() - sent).toBeGreaterThanOrEqual(250);
  expect(child.out()).toContain("stopping child");
  expect(child.out()).toContain("child still starting 300 ms after SIGTERM: exiting without a clean stop");
  expect(child.out()).not.toContain("closed");
});

it("a stop during a start that ends within the wait closes the service and exits 0", async () => {
  const child = await run({ SERVICE_START: "500", SERVICE_START_WAIT_MS: "5000" });
  child.signal("SIGINT");
  expect(await child.exited).toBe(0);
  expect(child.out()).toContain('"signal":"SIGINT"');
  expect(child.out()).toContain("closed");
  expect(child.out()).not.toContain("still starting");
});

it("a close that fails exits 1 with an unclean stop", async () => {
  const child = await run({ SERVICE_START: "0", SERVICE_CLOSE: "rejects" });
  await new Promise((resolve) => setTimeout(resolve, 100));
  child.signal("SIGTERM");
  expect(await child.exited).toBe(1);
  expect(child.out()).toContain("closed");
  expect(child.out()).toContain("unclean stop");
});

it("a start that throws exits 1: failed to start", async () => {
  const child = await run({ SERVICE_START: "throws" });
  expect(await child.exited).toBe(1);
  expect(child.out()).toContain("child failed to start");
  expect(child.out()).toContain("bad setting");
});
