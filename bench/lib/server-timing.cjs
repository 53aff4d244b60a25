/**
 * Preloaded (`--require`) into the platform processes the bench starts. Measures, inside the
 * process, what the load generator cannot tell apart: how long each HTTP request took from its
 * headers being parsed to its answer being handed to the socket (Node's diagnostics channels
 * http.server.request.start / http.server.response.finish), and how late the event loop ran
 * (perf_hooks.monitorEventLoopDelay), and its garbage collections: count, total and longest pause of
 * the minor ones (scavenges) and the major ones (mark-compact and its incremental marking) — a major
 * GC every second or two was what made bursts of slow answers at a fixed rate (README, performance,
 * I). On SIGUSR2 it writes all three as JSON to $BENCH_TIMING_DIR/<pid>.json and starts afresh, so
 * the bench brackets each phase with two signals.
 * Touches nothing else in the process.
 */
"use strict";
const dir = process.env.BENCH_TIMING_DIR;
if (dir) {
  const { subscribe } = require("node:diagnostics_channel");
  const { constants, createHistogram, monitorEventLoopDelay, PerformanceObserver } = require("node:perf_hooks");
  const { renameSync, writeFileSync } = require("node:fs");
  const { join } = require("node:path");

  const started = new WeakMap();
  let requests = createHistogram();
  // The histogram records the time between two ticks of a timer that fires every RESOLUTION_MS, so
  // an idle loop reads RESOLUTION_MS: the delay is what exceeds it.
  const RESOLUTION_MS = 10;
  let loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  const MAJOR_KINDS = [constants.NODE_PERFORMANCE_GC_MAJOR, constants.NODE_PERFORMANCE_GC_INCREMENTAL];
  const pauses = () => ({ count: 0, totalMs: 0, maxMs: 0 });
  let gc = { minor: pauses(), major: pauses() };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = entry.detail?.kind;
      const p = kind === constants.NODE_PERFORMANCE_GC_MINOR ? gc.minor : MAJOR_KINDS.includes(kind) ? gc.major : null;
      if (!p) continue;
      p.count++;
      p.totalMs += entry.duration;
      p.maxMs = Math.max(p.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ["gc"] });
  const gcSummary = (p) => ({ count: p.count, totalMs: Math.round(p.totalMs * 10) / 10, maxMs: Math.round(p.maxMs * 10) / 10 });
  subscribe("http.server.request.start", ({ response }) => started.set(response, process.hrtime.bigint()));
  subscribe("http.server.response.finish", ({ response }) => {
    const t0 = started.get(response);
    if (t0 !== undefined) requests.record(Math.max(1, Number((process.hrtime.bigint() - t0) / 1000n))); // µs
  });

  const ms = (ns) => Math.round(ns / 1e3) / 1e3;
  const lateMs = (ns) => ms(Math.max(0, ns - RESOLUTION_MS * 1e6));
  const us = (v) => Math.round(v) / 1e3;
  process.on("SIGUSR2", () => {
    const summary = {
      requests: requests.count,
      serverMs: requests.count ? { p50: us(requests.percentile(50)), p99: us(requests.percentile(99)), p999: us(requests.percentile(99.9)), max: us(requests.max) } : null,
      eventLoopDelayMs: { p50: lateMs(loop.percentile(50)), p99: lateMs(loop.percentile(99)), max: lateMs(loop.max) },
      gc: { minor: gcSummary(gc.minor), major: gcSummary(gc.major) },
    };
    gc = { minor: pauses(), major: pauses() };
    loop.disable();
    requests = createHistogram();
    loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    loop.enable();
    try {
      // Written aside and renamed: a reader polling for the file never sees it half written.
      const file = join(dir, `${process.pid}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(summary));
      renameSync(`${file}.tmp`, file);
    } catch {}
  });
}
