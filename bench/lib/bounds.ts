/**
 * What bounds each throughput and latency target, from the run's own measurements (issue #4: where
 * a target is missed, the report says what bounds it). Pure: reads the finished report only.
 */
import { round } from "./stats";

type Report = Record<string, any>;

const pct = (v: number) => `${Math.round(v * 100)} %`;

/** CPU of a phase as shares: of one core per group and process, and of the whole box. */
function phaseLoad(r: Report, name: string, cores: number) {
  const phase = (r.phases ?? []).find((p: any) => p.name === name);
  if (!phase || !(phase.seconds > 0)) return undefined;
  const wallMs = phase.seconds * 1000;
  const byGroup: Record<string, number> = phase.cpuMsByGroup ?? {};
  const boxMs = Object.values(byGroup).reduce((a, ms) => a + ms, 0);
  return { phase, wallMs, coresOf: (group: string) => (byGroup[group] ?? 0) / wallMs, box: boxMs / (wallMs * cores) };
}

/** The profile's largest layers (by origin) of one process, when the run was profiled. */
function topLayers(r: Report, proc: string, n = 3): string | undefined {
  const layers: { name: string; pctOfBusy: number }[] | undefined = r.profiles?.[proc]?.byOriginLayer;
  return layers?.length ? layers.slice(0, n).map((l) => `${l.name} ${Math.round(l.pctOfBusy)} %`).join(", ") : undefined;
}

function ingressBound(r: Report, cores: number): string | undefined {
  const load = phaseLoad(r, "ingress-saturate", cores);
  const perOrder = r.cpuPerOrder?.ingress?.cpuMsPerOrderByGroup?.ingress;
  if (!load || perOrder === undefined) return undefined;
  const processes = r.ingress?.stack?.ingress ?? 1;
  // A process's CPU includes its GC and I/O threads, so one busy process can show more than 1 core.
  const parts = [`at saturation the ingress (${processes} process(es)) used ${round(load.coresOf("ingress"), 2)} cores and the box was ${pct(load.box)} busy`];
  const bare = r.cpuPerOrder?.bareExpress?.cpuMsPerOrderByGroup?.["baseline: express"];
  parts.push(`the ingress spends ${round(perOrder, 3)} ms of CPU per order` + (bare ? ` against bare Express's ${round(bare, 3)} ms per request (${(perOrder / bare).toFixed(1)}×)` : ""));
  const layers = topLayers(r, "ingress-ingress-0");
  if (layers) parts.push(`its profile: ${layers}`);
  return parts.join("; ");
}

function latencyBound(r: Report, cores: number): string | undefined {
  const load = phaseLoad(r, "ingress-80pct", cores);
  if (!load) return undefined;
  const timings = Object.entries<any>(load.phase.serverTiming ?? {}).filter(([p, t]) => p.includes("ingress") && t?.serverMs);
  const worst = (f: (t: any) => number | undefined) => Math.max(...timings.map(([, t]) => f(t) ?? 0));
  const parts = [`the box was ${pct(load.box)} busy`];
  if (timings.length) {
    parts.push(`inside the ingress a request took up to ${round(worst((t) => t.serverMs.p99), 1)} ms at p99 from its headers to its answer, and the event loop ran up to ${round(worst((t) => t.eventLoopDelayMs?.p99), 1)} ms late at p99`);
    const majors = worst((t) => t.gc?.major.count);
    if (majors > 0) parts.push(`the ingress ran ${majors} major GCs in those ${round(load.phase.seconds, 0)} s`);
  }
  const own = r.ingress?.pairedWithBareExpress?.expressAtOwn80pct?.latencyMs?.p99;
  if (own !== undefined) parts.push(`bare Express at 80 % of its own saturation: p99 ${round(own, 1)} ms (${own < 25 ? "within" : "beyond"} the target on this box)`);
  return parts.join("; ");
}

/** CPU per order of all processes in a closed-loop phase, and the rate the box's cores allow at that cost. */
function cpuBound(r: Report, cores: number, cpuPerOrderKey: string, phaseName: string): { total: number; parts: string[] } | undefined {
  const e2e = r.cpuPerOrder?.[cpuPerOrderKey];
  const load = phaseLoad(r, phaseName, cores);
  if (!e2e || !load) return undefined;
  const total = Object.values<number>(e2e.cpuMsPerOrderByGroup ?? {}).reduce((a, ms) => a + ms, 0);
  const busiest = Object.entries<number>(e2e.cpuMsPerProcess ?? {}).sort((a, b) => b[1] - a[1])[0];
  const parts = [
    `all processes together spent ${round(total, 2)} ms of CPU per order, so ${cores} cores allow at most ${Math.round((cores * 1000) / total)} orders/s`,
    `the box was ${pct(load.box)} busy`,
  ];
  if (busiest) parts.push(`busiest process: ${busiest[0]} at ${pct(busiest[1] / load.wallMs)} of a core`);
  return { total, parts };
}

function endToEndBound(r: Report, cores: number): string | undefined {
  const bound = cpuBound(r, cores, "endToEnd", "e2e-capacity");
  if (!bound) return undefined;
  const { parts } = bound;
  // The order path reads `orders` by key only; sequential scans reading many of its rows per order
  // are a plan gone wrong (issue #4: cached generic plans scanned it once per ~20 orders, and
  // PostgreSQL's CPU per order doubled within a minute). While the table is tiny a sequential scan
  // is the right plan, and reads only a few rows per order.
  const ordersSeqRead = r.e2e?.database?.tablesPerOrder?.orders?.seqRead;
  if (ordersSeqRead > 100) {
    parts.push(`sequential scans of orders read ${Math.round(ordersSeqRead)} of its rows per order: a plan that reads the whole table (--pgss tells which statement)`);
  }
  // Likewise rows fetched through an index: a kept plan that looks rows up by part of a key (an
  // attempt by its channel alone) reads the whole index for every order.
  for (const [table, c] of Object.entries<{ idxFetch?: number }>(r.e2e?.database?.tablesPerOrder ?? {})) {
    if ((c.idxFetch ?? 0) > 100) parts.push(`index scans of ${table} fetched ${Math.round(c.idxFetch!)} of its rows per order: a plan that reads by part of a key (--pgss tells which statement)`);
  }
  return parts.join("; ");
}

function chainBound(r: Report, cores: number): string | undefined {
  const bound = cpuBound(r, cores, "chained", "chain-capacity");
  if (!bound) return undefined;
  const single = Object.values<number>(r.cpuPerOrder?.endToEnd?.cpuMsPerOrderByGroup ?? {}).reduce((a, ms) => a + ms, 0);
  // A chained order is served by two platforms: three HTTP requests in (push at A, push at B, B's
  // callback at A) and three out (A's push, B's callback, A's callback), against one and one.
  if (single > 0) bound.parts.push(`a chained order cost ${(bound.total / single).toFixed(1)}× a single-platform order of this run (${round(single, 2)} ms)`);
  return bound.parts.join("; ");
}

/** One sentence per throughput/latency target, or nothing where the run lacks the figures. */
export function targetBounds(r: Report, cores: number): Record<string, string | undefined> {
  const endToEnd = endToEndBound(r, cores);
  return {
    ingressOverBareExpress: ingressBound(r, cores),
    ingressOverBareExpressPaired: ingressBound(r, cores),
    p99PushAt80pctMs: latencyBound(r, cores),
    endToEndOrdersPerS: endToEnd,
    p99PushToCallbackAt1000Ms: endToEnd,
    chainOrdersPerS: chainBound(r, cores),
    chainP99PushToCallbackAt400Ms: chainBound(r, cores),
  };
}
