import { targetBounds } from "../../bench/lib/bounds";

/** A finished bench report, reduced to what the bounds read. */
function report() {
  return {
    phases: [
      { name: "ingress-saturate", seconds: 10, cpuMsByGroup: { ingress: 10_000, operator: 4_000, postgres: 2_000 } },
      {
        name: "ingress-80pct",
        seconds: 10,
        cpuMsByGroup: { ingress: 8_000, operator: 3_000 },
        serverTiming: {
          "ingress-ingress-0": { serverMs: { p99: 31.5 }, eventLoopDelayMs: { p99: 22.4 }, gc: { minor: { count: 200 }, major: { count: 7 } } },
          "ingress-ingress-1": { serverMs: { p99: 12.25 }, eventLoopDelayMs: { p99: 30.1 } },
          "express-paired-0": { serverMs: { p99: 0.6 }, eventLoopDelayMs: { p99: 99 }, gc: { minor: { count: 90 }, major: { count: 50 } } },
        },
      },
      { name: "e2e-capacity", seconds: 10, cpuMsByGroup: { worker: 8_000, ingress: 6_000, postgres: 4_000 } },
    ],
    ingress: { stack: { ingress: 2 }, pairedWithBareExpress: { expressAtOwn80pct: { latencyMs: { p99: 56.66 } } } },
    cpuPerOrder: {
      ingress: { cpuMsPerOrderByGroup: { ingress: 0.6, operator: 0.2 } },
      bareExpress: { cpuMsPerOrderByGroup: { "baseline: express": 0.25 } },
      endToEnd: { cpuMsPerOrderByGroup: { worker: 2, ingress: 1, postgres: 1 }, cpuMsPerProcess: { "e2e-ingress-0": 6_000, "e2e-worker-0": 8_000 } },
    },
  };
}

describe("bench target bounds", () => {
  it("end to end: the rate the cores allow at the measured CPU per order, and the busiest process", () => {
    const bound = targetBounds(report(), 2).endToEndOrdersPerS;
    expect(bound).toBe(
      "all processes together spent 4 ms of CPU per order, so 2 cores allow at most 500 orders/s; the box was 90 % busy; busiest process: e2e-worker-0 at 80 % of a core",
    );
    expect(targetBounds(report(), 2).p99PushToCallbackAt1000Ms).toBe(bound);
  });

  it("end to end: says when sequential scans read orders as a whole (a plan gone wrong), not the few rows of a tiny table", () => {
    const database = (seqRead: number) => ({ tablesPerOrder: { orders: { seqScan: 0.05, seqRead } } });
    const scanned = targetBounds({ ...report(), e2e: { database: database(2_652.4) } }, 2).endToEndOrdersPerS;
    expect(scanned).toMatch(/; sequential scans of orders read 2652 of its rows per order: a plan that reads the whole table \(--pgss tells which statement\)$/);
    expect(targetBounds({ ...report(), e2e: { database: database(3.5) } }, 2).endToEndOrdersPerS).not.toMatch(/sequential/);
  });

  it("end to end: says which table an index scan read by part of a key, not the few rows a key lookup fetches", () => {
    const tables = { orders: { idxFetch: 12.1 }, channel_attempts: { idxFetch: 1_797.4 } };
    const bound = targetBounds({ ...report(), e2e: { database: { tablesPerOrder: tables } } }, 2).endToEndOrdersPerS;
    expect(bound).toMatch(/; index scans of channel_attempts fetched 1797 of its rows per order: a plan that reads by part of a key \(--pgss tells which statement\)$/);
    expect(bound).not.toMatch(/index scans of orders/);
  });

  it("ingress ratio: cores used, box load and CPU per order against bare Express", () => {
    expect(targetBounds(report(), 2).ingressOverBareExpressPaired).toBe(
      "at saturation the ingress (2 process(es)) used 1 cores and the box was 80 % busy; the ingress spends 0.6 ms of CPU per order against bare Express's 0.25 ms per request (2.4×)",
    );
  });

  it("latency: the worst ingress process's server-side figures and major GCs (not the bare app's) and the bare app's floor", () => {
    expect(targetBounds(report(), 2).p99PushAt80pctMs).toBe(
      "the box was 55 % busy; inside the ingress a request took up to 31.5 ms at p99 from its headers to its answer, and the event loop ran up to 30.1 ms late at p99; the ingress ran 7 major GCs in those 10 s; bare Express at 80 % of its own saturation: p99 56.7 ms (beyond the target on this box)",
    );
  });

  it("latency: no word of major GCs where the ingress ran none", () => {
    const r = report();
    r.phases[1].serverTiming!["ingress-ingress-0"].gc!.major.count = 0;
    expect(targetBounds(r, 2).p99PushAt80pctMs).not.toMatch(/GC/);
  });

  it("says nothing where the run lacks the figures (a group not run)", () => {
    const bounds = targetBounds({ phases: [] }, 2);
    expect(Object.values(bounds).every((b) => b === undefined)).toBe(true);
  });
});
