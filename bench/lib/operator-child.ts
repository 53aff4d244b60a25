/**
 * The operator's side of the bench, in a process of its own: the load generator (signed order
 * pushes with unique order_nos, loopback only) and the callback receiver (answers `ok`, checks the
 * sign, measures push→callback latency). Driven by bench/run.ts over IPC.
 *
 * - saturate: autocannon, closed loop, N connections, as fast as the server answers;
 * - paced:    open loop at a fixed rate (uniform spacing), latency measured from the *intended*
 *             send time (no coordinated omission) and from the actual write;
 * - e2eClosed: keeps `window` orders in flight end to end (pushed, not yet called back) — the
 *             sustainable end-to-end rate without an unbounded backlog;
 * - e2ePaced: pushes at a fixed rate, then waits for every callback (bounded).
 *
 * Each order_no is `<tag>_<seq>_<µs timestamp>`: the tag names the phase, the timestamp is when the
 * push was (meant to be) sent, so a callback's latency is read off its own order_no.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import autocannon from "autocannon";
import { KeepAlivePoster } from "./keep-alive-poster";
import { serve } from "./rpc";
import { Samples, type Percentiles } from "./stats";

const FORM = "application/x-www-form-urlencoded";
export const PUSH_SUCCESS = '{"code":"200","count":"1","msg":"Success"}';
export const PUSH_PATH = "/1/api/oper/order";
const PHONE = "13912345678"; // ends in 5678: the simulator's success script (PROTOCOL §10)
const FACE = "1000";

const md5 = (s: string) => createHash("md5").update(s, "utf8").digest("hex");
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);

let operator = { uid: "0", key: "0" };
let callbackUrl = "";
let encodedNotify = "";

function pushBody(tag: string, seq: number, atUs = nowUs()): string {
  const orderNo = `${tag}_${seq}_${atUs}`;
  const sign = md5(operator.uid + orderNo + PHONE + FACE + operator.key);
  return `uid=${operator.uid}&order_no=${orderNo}&order_type=1&mobile_type=1&phone_number=${PHONE}&face_value=${FACE}&notify_url=${encodedNotify}&sign=${sign}`;
}

// ---------------------------------------------------------------- callback receiver

interface TagStats {
  startedAt: number; // performance.now() ms
  callbacks: number;
  duplicates: number;
  badSign: number;
  statuses: Record<string, number>;
  latency: Samples; // push → callback, ms
  arrivals: Samples; // performance.now() ms of each first callback
  onCallback?: () => void;
}

const tags = new Map<string, TagStats>();
const seen = new Set<string>();
let strayCallbacks = 0;

function tagStats(tag: string): TagStats {
  let s = tags.get(tag);
  if (!s) {
    s = { startedAt: performance.now(), callbacks: 0, duplicates: 0, badSign: 0, statuses: {}, latency: new Samples(), arrivals: new Samples() };
    tags.set(tag, s);
  }
  return s;
}

function onCallbackBody(raw: string): void {
  const f = new URLSearchParams(raw);
  const orderNo = f.get("order_no") ?? "";
  const [tag, , ts] = orderNo.split("_");
  const stats = tags.get(tag);
  if (!stats || !ts) {
    strayCallbacks++;
    return;
  }
  const expected = md5(`${f.get("uid")}${orderNo}${f.get("phone_number")}${f.get("face_value")}${f.get("status")}${operator.key}`);
  if (expected !== f.get("sign")) stats.badSign++;
  if (seen.has(orderNo)) {
    stats.duplicates++;
    return;
  }
  seen.add(orderNo);
  const status = f.get("status") ?? "?";
  stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
  stats.callbacks++;
  stats.latency.add((nowUs() - Number(ts)) / 1000);
  stats.arrivals.add(performance.now());
  stats.onCallback?.();
}

async function startReceiver(): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      onCallbackBody(Buffer.concat(chunks).toString("utf8"));
      res.end("ok");
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}/callback`;
}

// ---------------------------------------------------------------- HTTP pushes (paced / e2e)

class Pusher {
  private readonly targets: KeepAlivePoster[];
  private next = 0;
  constructor(urls: string[], connections: number) {
    const perUrl = Math.max(1, Math.ceil(connections / urls.length));
    this.targets = urls.map((u) => new KeepAlivePoster(u, perUrl));
  }

  /** Posts one body; `done(ok, httpStatus)` once the answer is complete (ok = the success envelope). */
  push(path: string, body: string, done: (ok: boolean, status: number) => void): void {
    this.targets[this.next++ % this.targets.length].post(path, FORM, body, (status, text) => done(status === 200 && text === PUSH_SUCCESS, status));
  }

  close(): void {
    for (const t of this.targets) t.close();
  }
}

interface PushCounts {
  sent: number;
  accepted: number;
  rejected: number;
  httpStatuses: Record<string, number>;
}
const newCounts = (): PushCounts => ({ sent: 0, accepted: 0, rejected: 0, httpStatuses: {} });
const countAnswer = (c: PushCounts, ok: boolean, status: number) => {
  if (ok) c.accepted++;
  else c.rejected++;
  c.httpStatuses[status] = (c.httpStatuses[status] ?? 0) + 1;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Calls `send(k, intendedMs)` for k = 0.. at `rate` per second for `durationS`, uniformly spaced. */
async function pace(rate: number, durationS: number, send: (k: number, intended: number) => void): Promise<{ started: number; ended: number; lagMaxMs: number }> {
  const total = Math.floor(rate * durationS);
  const started = performance.now();
  const interval = 1000 / rate;
  let k = 0;
  let lagMaxMs = 0;
  while (k < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor((now - started) / interval) + 1);
    while (k < due) {
      const intended = started + k * interval;
      lagMaxMs = Math.max(lagMaxMs, now - intended);
      send(k++, intended);
    }
    await sleep(1);
  }
  return { started, ended: performance.now(), lagMaxMs };
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

// ---------------------------------------------------------------- commands

interface SaturateArgs {
  urls: string[];
  path?: string;
  connections: number;
  duration: number;
  tag: string;
}

/** autocannon, closed loop: as many pushes as the server answers over `connections` keep-alive connections. */
async function saturate(a: SaturateArgs) {
  let seq = 0;
  const latency = new Samples();
  const perSecond: number[] = [];
  let thisSecond = 0;
  const started = performance.now();
  const tick = setInterval(() => {
    perSecond.push(thisSecond);
    thisSecond = 0;
  }, 1000);
  const result: any = await new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: a.urls,
        connections: a.connections,
        duration: a.duration,
        timeout: 10,
        requests: [
          {
            method: "POST",
            path: a.path ?? PUSH_PATH,
            headers: { "content-type": FORM },
            setupRequest: (req: any) => {
              req.body = pushBody(a.tag, seq++);
              return req;
            },
          },
        ],
        verifyBody: (body: string) => body === PUSH_SUCCESS,
      },
      (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode === 200) latency.add(responseTime);
      thisSecond++;
    });
  });
  clearInterval(tick);
  const elapsedS = (performance.now() - started) / 1000;
  const ok2xx = result["2xx"] as number;
  const accepted = ok2xx - (result.mismatches as number);
  return {
    tool: "autocannon",
    connections: a.connections,
    durationS: elapsedS,
    sent: seq,
    completed: result.totalCompletedRequests,
    accepted,
    mismatches: result.mismatches,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    ratePerS: accepted / a.duration,
    latencyMs: latency.summary(),
    perSecond,
  };
}

interface PacedArgs {
  urls: string[];
  path?: string;
  rate: number;
  duration: number;
  connections: number;
  tag: string;
}

/** Open loop at a fixed rate: latency from the intended send time (corrected) and from the write (service). */
async function paced(a: PacedArgs) {
  const pusher = new Pusher(a.urls, a.connections);
  const corrected = new Samples();
  const service = new Samples();
  const counts = newCounts();
  let answered = 0;
  const pacing = await pace(a.rate, a.duration, (k, intended) => {
    const sentAt = performance.now();
    counts.sent++;
    pusher.push(a.path ?? PUSH_PATH, pushBody(a.tag, k, Math.round((performance.timeOrigin + intended) * 1000)), (ok, status) => {
      const end = performance.now();
      answered++;
      countAnswer(counts, ok, status);
      if (ok) {
        corrected.add(end - intended);
        service.add(end - sentAt);
      }
    });
  });
  const drained = await waitUntil(() => answered === counts.sent, 30_000);
  pusher.close();
  const elapsedS = (pacing.ended - pacing.started) / 1000;
  return {
    tool: "paced, raw keep-alive connections (bench/lib/keep-alive-poster.ts)",
    targetRatePerS: a.rate,
    achievedRatePerS: counts.accepted / elapsedS,
    connections: a.connections,
    durationS: elapsedS,
    ...counts,
    unanswered: counts.sent - answered,
    drained,
    generatorLagMaxMs: pacing.lagMaxMs,
    latencyMs: corrected.summary(),
    serviceLatencyMs: service.summary(),
  };
}

function e2eSummary(tag: string, counts: PushCounts, pushLatency: Percentiles, pushStart: number, pushEnd: number, drainEnd: number, drained: boolean, warmS: number, steadyFrom?: number) {
  const s = tagStats(tag);
  const arrivals = s.arrivals.values();
  // the steady part of the push window: after the warm-up seconds, and (closed loop) once the window first filled
  const windowFrom = Math.min(pushEnd - 1000, Math.max(pushStart + warmS * 1000, steadyFrom ?? 0));
  let inWindow = 0;
  const perSecond: number[] = [];
  for (const t of arrivals) {
    if (t >= windowFrom && t <= pushEnd) inWindow++;
    const sec = Math.floor((t - pushStart) / 1000);
    if (sec >= 0) perSecond[sec] = (perSecond[sec] ?? 0) + 1;
  }
  for (let i = 0; i < perSecond.length; i++) perSecond[i] ??= 0;
  let last = pushStart;
  for (const t of arrivals) if (t > last) last = t;
  return {
    pushed: counts,
    pushLatencyMs: pushLatency,
    callbacks: s.callbacks,
    missingCallbacks: counts.accepted - s.callbacks,
    duplicates: s.duplicates,
    badSign: s.badSign,
    statuses: s.statuses,
    pushWindowS: (pushEnd - pushStart) / 1000,
    steadyWindowS: (pushEnd - windowFrom) / 1000,
    sustainedRatePerS: inWindow / Math.max(0.001, (pushEnd - windowFrom) / 1000),
    overallRatePerS: s.callbacks / Math.max(0.001, (last - pushStart) / 1000),
    drainS: (drainEnd - pushEnd) / 1000,
    drained,
    latencyMs: s.latency.summary(),
    callbacksPerSecond: perSecond,
  };
}

/** What both end-to-end modes take. */
interface E2eArgs {
  urls: string[];
  connections: number;
  duration: number;
  tag: string;
  drainTimeoutS: number;
  warmS: number;
}

interface E2eClosedArgs extends E2eArgs {
  window: number;
}

/** Keeps `window` orders in flight end to end; a callback (or a refused push) frees a slot. */
async function e2eClosed(a: E2eClosedArgs) {
  const pusher = new Pusher(a.urls, a.connections);
  const stats = tagStats(a.tag);
  const counts = newCounts();
  const pushLatency = new Samples();
  let inflightPushes = 0;
  let outstanding = 0;
  let stopped = false;
  let seq = 0;
  let windowFullAt: number | undefined;
  const pump = () => {
    if (windowFullAt === undefined && outstanding >= a.window) windowFullAt = performance.now();
    while (!stopped && inflightPushes < a.connections && outstanding < a.window) {
      inflightPushes++;
      outstanding++;
      counts.sent++;
      const t0 = performance.now();
      pusher.push(PUSH_PATH, pushBody(a.tag, seq++), (ok, status) => {
        inflightPushes--;
        countAnswer(counts, ok, status);
        if (ok) pushLatency.add(performance.now() - t0);
        else outstanding--;
        pump();
      });
    }
  };
  stats.onCallback = () => {
    outstanding--;
    pump();
  };
  const pushStart = performance.now();
  stats.startedAt = pushStart;
  pump();
  await sleep(a.duration * 1000);
  stopped = true;
  const pushEnd = performance.now();
  await waitUntil(() => inflightPushes === 0, 30_000);
  const drained = await waitUntil(() => stats.callbacks >= counts.accepted, a.drainTimeoutS * 1000);
  const drainEnd = performance.now();
  stats.onCallback = undefined;
  pusher.close();
  return {
    mode: "closed loop",
    window: a.window,
    connections: a.connections,
    windowFilledAfterS: windowFullAt === undefined ? null : (windowFullAt - pushStart) / 1000,
    ...e2eSummary(a.tag, counts, pushLatency.summary(), pushStart, pushEnd, drainEnd, drained, a.warmS, windowFullAt),
  };
}

interface E2ePacedArgs extends E2eArgs {
  rate: number;
}

/** Pushes at a fixed rate; latency push→callback is measured from the intended push time. */
async function e2ePaced(a: E2ePacedArgs) {
  const pusher = new Pusher(a.urls, a.connections);
  const stats = tagStats(a.tag);
  const counts = newCounts();
  const pushLatency = new Samples();
  let answered = 0;
  const pushStart = performance.now();
  stats.startedAt = pushStart;
  const pacing = await pace(a.rate, a.duration, (k, intended) => {
    counts.sent++;
    pusher.push(PUSH_PATH, pushBody(a.tag, k, Math.round((performance.timeOrigin + intended) * 1000)), (ok, status) => {
      answered++;
      countAnswer(counts, ok, status);
      if (ok) pushLatency.add(performance.now() - intended);
    });
  });
  const pushEnd = performance.now();
  await waitUntil(() => answered === counts.sent, 30_000);
  const drained = await waitUntil(() => stats.callbacks >= counts.accepted, a.drainTimeoutS * 1000);
  const drainEnd = performance.now();
  pusher.close();
  return {
    mode: "open loop (paced)",
    targetRatePerS: a.rate,
    connections: a.connections,
    generatorLagMaxMs: pacing.lagMaxMs,
    ...e2eSummary(a.tag, counts, pushLatency.summary(), pushStart, pushEnd, drainEnd, drained, a.warmS),
  };
}

serve({
  async init() {
    callbackUrl = await startReceiver();
    encodedNotify = encodeURIComponent(callbackUrl);
    return { callbackUrl, sampleBodyBytes: Buffer.byteLength(pushBody("sample", 123456)) };
  },
  setOperator(a: { uid: string; key: string }) {
    operator = a;
    return { sampleBodyBytes: Buffer.byteLength(pushBody("sample", 123456)) };
  },
  saturate,
  paced,
  e2eClosed,
  e2ePaced,
  stray: () => ({ strayCallbacks }),
});
