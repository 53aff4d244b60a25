import { join } from "node:path";
import { spawnNode } from "../../../test/support/service-process";
import { eventually } from "../../../test/support/stack";

// runService in a process of its own (it installs signal handlers and exits): how a stop during
// the start, a failed start and a failed close end the process.
const FIXTURE = join(__dirname, "fixtures", "service-child.ts");

/** The fixture under runService, once its signal handlers are installed; `out()`: all it wrote. */
async function run(env: Record<string, string>) {
  const child = spawnNode(["--import", "tsx", FIXTURE], { LOG_LEVEL: "info", ...env });
  const out = () => child.stdout + child.stderr;
  const installed = () => out().includes("handlers installed");
  // A start that throws exits right after printing it: the exit then settles the wait.
  const ready = await Promise.race([eventually(async () => installed() || undefined, 20_000, 20), child.exited.then(installed)]);
  if (!ready) throw new Error(`exited before its handlers were installed: ${out()}`);
  return { out, exited: child.exited, signal: child.signal };
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
