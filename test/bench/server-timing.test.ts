import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PRELOAD = join(__dirname, "../../bench/lib/server-timing.cjs");

interface Pauses {
  count: number;
  totalMs: number;
  maxMs: number;
}

interface Timing {
  requests: number;
  eventLoopDelayMs: { p50: number; p99: number; max: number };
  gc: { minor: Pauses; major: Pauses };
}

/**
 * Runs `script` in a process with server-timing preloaded; the script calls report() once it has
 * done what is to be measured, and the summary the preload writes on SIGUSR2 is returned. (The
 * interval keeps the child alive until it is killed: its IPC channel alone does not.)
 */
async function measure(script: string): Promise<Timing> {
  const dir = mkdtempSync(join(tmpdir(), "server-timing-"));
  try {
    const child = spawn(process.execPath, ["--require", PRELOAD, "-e", `setInterval(() => undefined, 1_000); const report = () => process.send("ready"); ${script}`], {
      env: { ...process.env, BENCH_TIMING_DIR: dir },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`child exited (${code}) before reporting`)));
    });
    child.kill("SIGUSR2");
    const file = join(dir, `${child.pid}.json`);
    const deadline = Date.now() + 5_000;
    let text: string | null = null;
    while (text === null && Date.now() < deadline) {
      try {
        text = readFileSync(file, "utf8");
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    child.kill("SIGKILL");
    if (text === null) throw new Error("no timing summary written");
    return JSON.parse(text) as Timing;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The measurement, taken again (at most three times in all) while it falls outside what is
 * expected: a child process on a box the rest of the suite keeps busy is sometimes descheduled
 * for tens of milliseconds, which reads as event-loop delay too. A real error shows every time.
 */
async function measureExpecting(script: string, expected: (timing: Timing) => boolean): Promise<Timing> {
  let timing = await measure(script);
  for (let retry = 0; retry < 2 && !expected(timing); retry++) timing = await measure(script);
  return timing;
}

describe("bench server timing: event-loop delay", () => {
  test("an idle loop reads as (almost) no delay, not as the sampling interval", async () => {
    const timing = await measureExpecting("setTimeout(report, 300);", (t) => t.eventLoopDelayMs.p50 < 3);
    // monitorEventLoopDelay's histogram holds the time between its 10 ms ticks; reported as is, an
    // idle process showed a delay of ~10 ms.
    expect(timing.eventLoopDelayMs.p50).toBeLessThan(3);
    expect(timing.eventLoopDelayMs.p50).toBeGreaterThanOrEqual(0);
  });

  test("a loop blocked for 80 ms reads as about that much delay", async () => {
    const timing = await measureExpecting(
      "setTimeout(() => { const end = Date.now() + 80; while (Date.now() < end); setTimeout(report, 50); }, 100);",
      (t) => t.eventLoopDelayMs.max >= 65 && t.eventLoopDelayMs.max < 150,
    );
    expect(timing.eventLoopDelayMs.max).toBeGreaterThanOrEqual(65);
    expect(timing.eventLoopDelayMs.max).toBeLessThan(150);
  });
});

describe("bench server timing: garbage collections", () => {
  // Objects kept long enough to be promoted, then dropped, round after round: the old generation
  // fills and V8 runs major GCs; the young one is scavenged many times on the way.
  const PROMOTE_AND_DROP = "let kept; for (let round = 0; round < 6; round++) { kept = []; for (let i = 0; i < 1_000_000; i++) kept.push({ i, s: 'x' + i }); } kept = null; setTimeout(report, 100);";

  test("counts minor and major GCs and their pauses", async () => {
    const timing = await measure(PROMOTE_AND_DROP);
    expect(timing.gc.minor.count).toBeGreaterThan(5);
    expect(timing.gc.major.count).toBeGreaterThan(0);
    for (const p of [timing.gc.minor, timing.gc.major]) {
      expect(p.maxMs).toBeGreaterThan(0);
      expect(p.totalMs).toBeGreaterThanOrEqual(p.maxMs);
    }
  });

  test("an idle process reads as no major GC", async () => {
    const timing = await measure("setTimeout(report, 300);");
    expect(timing.gc.major.count).toBe(0);
  });
});
