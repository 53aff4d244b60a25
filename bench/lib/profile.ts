/**
 * Summarises a V8 .cpuprofile (from --cpu-prof) over a time window: where the process's CPU went,
 * by layer (database client, queue client, HTTP framework, the platform's own code, Node's core,
 * GC…), by package and by function. Self time; a native frame (empty url, e.g. a crypto binding)
 * is charged to the nearest JavaScript caller, so md5 in @topup/protocol counts as protocol.
 * Sample times share the monotonic clock of process.hrtime, so phase windows recorded by the
 * orchestrator select the samples of a phase.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  windowMs: number;
  sampledMs: number;
  busyMs: number;
  idleMs: number;
  byLayer: { name: string; ms: number; pctOfBusy: number }[];
  byPackage: { name: string; ms: number; pctOfBusy: number }[];
  /**
   * Self time charged to the library on whose behalf it was spent: Node core and native frames
   * (socket writes, buffers, streams, microtasks) go to the nearest caller that is a library or the
   * platform's code. Time with no such caller (incoming HTTP parsing, socket reads, timers) stays
   * with Node core.
   */
  byOriginLayer: { name: string; ms: number; pctOfBusy: number }[];
  topFunctions: { fn: string; where: string; ms: number; pctOfBusy: number }[];
}

const SPECIAL = new Map<string, string>([
  ["(idle)", "idle"],
  ["(garbage collector)", "GC"],
  ["(program)", "V8/native (program)"],
  ["(root)", "V8/native (program)"],
]);

/** The package a script belongs to: an npm package, a workspace package, or a node core area. */
export function packageOf(url: string): string {
  if (!url) return "";
  if (url.startsWith("node:")) {
    const m = url.slice(5).replace(/^internal\//, "");
    if (/^(_http|http)/.test(m)) return "node:http";
    if (/^(net|stream_base|dns|tcp|socket)/.test(m)) return "node:net";
    if (/^(streams|stream)/.test(m)) return "node:stream";
    if (/^(timers|process\/task_queues|async_hooks|process\/promises)/.test(m)) return "node:timers/microtasks";
    if (/^(crypto)/.test(m)) return "node:crypto";
    if (/^(url|querystring)/.test(m)) return "node:url";
    if (/^(util|errors|buffer|events|event)/.test(m)) return "node:util/events/buffer";
    if (/^(modules|vm|bootstrap|main|process)/.test(m)) return "node:modules/startup";
    return "node:other";
  }
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split("/");
    return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const ws = /\/(packages|apps)\/([^/]+)\//.exec(url);
  if (ws) return `@topup/${ws[2]}`;
  if (url.includes("/bench/")) return "bench preload";
  return "other";
}

/** Layers that answer "database vs queue vs HTTP vs our code". */
export function layerOf(pkg: string): string {
  if (pkg === "") return "V8/native (program)";
  if (/^(pg|pg-.*|postgres-.*|pgpass|@prisma\/.*|prisma)$/.test(pkg)) return "database client (Prisma + pg)";
  if (/^(bullmq|ioredis|@ioredis\/.*|msgpackr|cron-parser|uuid|denque|redis-.*|cluster-key-slot|luxon|standard-as-callback|lodash.*)$/.test(pkg)) return "queue client (BullMQ + ioredis)";
  if (/^(express|router|body-parser|raw-body|iconv-lite|type-is|mime-.*|content-type|on-finished|finalhandler|send|serve-static|accepts|negotiator|vary|qs|path-to-regexp|depd|statuses|http-errors|bytes|etag|fresh|parseurl|encodeurl|escape-html|proxy-addr|forwarded|ipaddr\.js|setprototypeof|merge-descriptors|cookie.*|unpipe|ee-first|destroy|media-typer|range-parser|toidentifier)$/.test(pkg)) return "HTTP framework (Express)";
  if (/^(winston|logform|winston-transport|triple-beam|safe-stable-stringify|@colors\/.*|colors|fecha|one-time|readable-stream|@dabh\/.*|kuler|text-hex|fn\.name|stack-trace|async)$/.test(pkg)) return "logging (winston)";
  if (/^(axios|follow-redirects|form-data|proxy-from-env|combined-stream|asynckit|mime-db|delayed-stream)$/.test(pkg)) return "HTTP client (axios)";
  if (/^(tsx|esbuild|get-tsconfig|source-map-support|@esbuild\/.*)$/.test(pkg)) return "tsx loader";
  if (pkg.startsWith("@topup/")) return "platform code (@topup/*)";
  if (pkg === "node:http" || pkg === "node:net" || pkg === "node:stream") return "node core: http/net/stream";
  if (pkg.startsWith("node:")) return "node core: other";
  return "other";
}

export function summarizeProfile(file: string, window?: { fromUs: number; toUs: number }, top = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  // package charged for a node's self time: its own, or its nearest caller's for native frames
  const chargeCache = new Map<number, string>();
  const chargeOf = (id: number): string => {
    const cached = chargeCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id)!;
    const special = SPECIAL.get(node.callFrame.functionName);
    let out: string;
    if (special) out = special;
    else if (node.callFrame.url) out = packageOf(node.callFrame.url);
    else {
      const p = parent.get(id);
      out = p === undefined ? "V8/native (program)" : chargeOf(p);
      if (out === "idle" || out === "GC") out = "V8/native (program)";
    }
    chargeCache.set(id, out);
    return out;
  };

  // the library on whose behalf a node's self time was spent
  const originCache = new Map<number, string>();
  const originOf = (id: number): string => {
    const cached = originCache.get(id);
    if (cached !== undefined) return cached;
    const own = chargeOf(id);
    let out: string;
    if (own === "idle" || own === "GC" || own === "V8/native (program)") out = own;
    else if (!own.startsWith("node:")) out = layerOf(own);
    else {
      let p = parent.get(id);
      out = "";
      while (p !== undefined) {
        const url = byId.get(p)!.callFrame.url;
        const pkg = url ? packageOf(url) : "";
        if (pkg && !pkg.startsWith("node:") && pkg !== "bench preload") {
          out = layerOf(pkg);
          break;
        }
        p = parent.get(p);
      }
      if (!out) out = "node core (no library caller: incoming I/O, timers)";
    }
    originCache.set(id, out);
    return out;
  };

  const from = window?.fromUs ?? -Infinity;
  const to = window?.toUs ?? Infinity;
  const pkgMs = new Map<string, number>();
  const originMs = new Map<string, number>();
  const fnMs = new Map<string, { fn: string; where: string; ms: number }>();
  let t = profile.startTime;
  let sampled = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const weight = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i]) / 1000;
    if (weight <= 0 || weight > 100) continue;
    sampled += weight;
    const id = profile.samples[i];
    const pkg = chargeOf(id);
    pkgMs.set(pkg, (pkgMs.get(pkg) ?? 0) + weight);
    if (pkg !== "idle") {
      const origin = originOf(id);
      originMs.set(origin, (originMs.get(origin) ?? 0) + weight);
    }
    const node = byId.get(id)!;
    const cf = node.callFrame;
    if (pkg === "idle") continue;
    const where = cf.url ? `${cf.url.replace(/^file:\/\/\/work\/main\//, "").replace(/^.*node_modules\//, "")}:${cf.lineNumber + 1}` : `(native, in ${pkg})`;
    const key = `${cf.functionName || "(anonymous)"}@${where}`;
    const entry = fnMs.get(key) ?? { fn: cf.functionName || "(anonymous)", where, ms: 0 };
    entry.ms += weight;
    fnMs.set(key, entry);
  }
  const idleMs = pkgMs.get("idle") ?? 0;
  const busyMs = sampled - idleMs;
  const pct = (ms: number) => Math.round((1000 * ms) / Math.max(busyMs, 1e-9)) / 10;
  const r = (ms: number) => Math.round(ms);
  const layerMs = new Map<string, number>();
  for (const [pkg, ms] of pkgMs) {
    if (pkg === "idle") continue;
    const layer = pkg === "GC" ? "GC" : pkg === "V8/native (program)" ? pkg : layerOf(pkg);
    layerMs.set(layer, (layerMs.get(layer) ?? 0) + ms);
  }
  const sortDesc = <T extends { ms: number }>(xs: T[]) => xs.sort((a, b) => b.ms - a.ms);
  return {
    file,
    windowMs: r(Math.min(to, profile.endTime) / 1000 - Math.max(from, profile.startTime) / 1000),
    sampledMs: r(sampled),
    busyMs: r(busyMs),
    idleMs: r(idleMs),
    byLayer: sortDesc([...layerMs].map(([name, ms]) => ({ name, ms: r(ms), pctOfBusy: pct(ms) }))),
    byOriginLayer: sortDesc([...originMs].map(([name, ms]) => ({ name, ms: r(ms), pctOfBusy: pct(ms) }))),
    byPackage: sortDesc([...pkgMs].filter(([n]) => n !== "idle").map(([name, ms]) => ({ name, ms: r(ms), pctOfBusy: pct(ms) }))).slice(0, 30),
    topFunctions: sortDesc([...fnMs.values()]).slice(0, top).map((f) => ({ ...f, ms: r(f.ms), pctOfBusy: pct(f.ms) })),
  };
}

// `tsx bench/lib/profile.ts file.cpuprofile [fromUs toUs]` prints a summary.
if (require.main === module) {
  const [file, from, to] = process.argv.slice(2);
  const s = summarizeProfile(file, from && to ? { fromUs: Number(from), toUs: Number(to) } : undefined);
  console.log(JSON.stringify(s, null, 2));
}
