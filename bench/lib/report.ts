/** The human-readable summary printed at the end of a bench run (the JSON report has everything). */

const f = (v: unknown, digits = 1): string => (typeof v === "number" && Number.isFinite(v) ? v.toFixed(digits) : String(v ?? "–"));
const int = (v: unknown): string => (typeof v === "number" && Number.isFinite(v) ? Math.round(v).toLocaleString("en-US") : String(v ?? "–"));
const lat = (l: any): string => (l ? `p50 ${f(l.p50, 2)} / p99 ${f(l.p99, 2)} / p99.9 ${f(l.p999, 2)} ms (n=${int(l.count)})` : "–");

/** Capacity and fixed-rate lines of an end-to-end section (single platform or chained). */
function flowLines(section: any, line: (s?: string) => void): void {
  const c = section.capacity ?? {};
  line(`capacity         ${int(c.sustainedRatePerS)} orders/s to status 4 + callback (window ${c.window}, steady ${f(c.steadyWindowS)} s); overall ${int(c.overallRatePerS)}/s; ${int(c.callbacks)}/${int(c.pushed?.accepted)} called back, drained=${c.drained} in ${f(c.drainS)} s; push→callback ${lat(c.latencyMs)}`);
  for (const [rate, p] of Object.entries<any>(section.atRate ?? {})) {
    if (p.skipped) {
      line(`at ${rate}/s        not run: ${p.reason}`);
      continue;
    }
    line(`at ${rate}/s        push→callback ${lat(p.latencyMs)}; callbacks ${int(p.callbacks)}/${int(p.pushed?.accepted)}, drained=${p.drained} (+${f(p.drainS)} s), sustained ${int(p.sustainedRatePerS)}/s; push ${lat(p.pushLatencyMs)}`);
  }
}

export function printReport(r: Record<string, any>): void {
  const out: string[] = [];
  const line = (s = "") => out.push(s);
  line();
  line(`== bench ${r.id}  (${r.command})`);
  const m = r.machine ?? {};
  line(`machine: ${m.cpus} CPU, ${m.memGiB} GiB, node ${m.node}, PostgreSQL ${m.postgres?.server_version} (${m.postgres?.kind}, fsync=${m.postgres?.fsync}, synchronous_commit=${m.postgres?.synchronous_commit}, autovacuum=${m.postgres?.autovacuum}), Redis ${m.redis}; loadavg ${m.loadavgAtStart?.join(" ")} → ${m.loadavgAtEnd?.join(" ")}`);
  if (r.code) line(`code: ${String(r.code.commit).slice(0, 10)} "${r.code.subject}"${r.code.uncommittedPlatformChanges?.length ? ` + uncommitted changes in ${r.code.uncommittedPlatformChanges.length} platform file(s) (diff ${r.code.uncommittedDiffSha256})` : ""}`);
  if (r.error) line(`ERROR: ${String(r.error).split("\n")[0]}`);

  const b = r.baselines;
  if (b) {
    line();
    line("-- baselines (ceilings)");
    line(`bare Express 5   ${int(b.express?.ratePerS)} req/s   ${lat(b.express?.latencyMs)}`);
    line(`raw INSERT (pg)  ${int(b.insert_simple?.ratePerS)} rows/s  ${lat(b.insert_simple?.latencyMs)}  [${b.insert_simple?.connections} callers, pool ${b.insert_simple?.poolMax}]`);
    line(`platform insert (repository, no HTTP) ${int(b.insert_cte?.ratePerS)} /s  ${lat(b.insert_cte?.latencyMs)}`);
    line(`BullMQ add       ${int(b.bullmq_add?.ratePerS)} jobs/s  ${lat(b.bullmq_add?.latencyMs)}`);
    line(`BullMQ no-op     ${int(b.bullmq_process?.ratePerS)} jobs/s  (concurrency ${b.bullmq_process?.concurrency}, ${int(b.bullmq_process?.processed)}/${int(b.bullmq_process?.expected)})`);
  }

  const i = r.ingress;
  if (i) {
    line();
    line(`-- ingress (${i.stack?.ingress} process(es), no worker)`);
    const s = i.saturation ?? {};
    line(`saturation       ${int(s.ratePerS)} accepted orders/s over ${s.connections} connections  ${lat(s.latencyMs)}  [rejected/mismatched ${int(s.mismatches)}, non-2xx ${int(s.non2xx)}, errors ${int(s.errors)}]`);
    for (const k of ["at50pct", "at80pct"]) {
      const p = i[k];
      if (p) line(`${k === "at50pct" ? "50%" : "80%"} (${int(p.targetRatePerS)}/s)  ${lat(p.latencyMs)}  (service-only p99 ${f(p.serviceLatencyMs?.p99, 2)} ms; rejected ${int(p.rejected)})`);
    }
    const pairs = i.pairedWithBareExpress;
    if (pairs?.rounds) line(`paired with bare Express (${pairs.secondsEach} s each, interleaved): ${pairs.rounds.map((p: any) => `${int(p.ingressPerS)}/${int(p.expressPerS)} = ${f(p.ratio, 3)}`).join(", ")}; median ${f(pairs.medianRatio, 3)}`);
    for (const [k, what] of [["expressAtIngress80pct", "the ingress's 80% rate"], ["expressAtOwn80pct", "80% of its own saturation"]]) {
      const ex = pairs?.[k];
      if (ex) line(`bare Express at ${what} (${int(ex.targetRatePerS)}/s)  ${lat(ex.latencyMs)}  (service-only p99 ${f(ex.serviceLatencyMs?.p99, 2)} ms)`);
    }
    line(`stored ${int(i.database?.ordersStored)} orders; ${f(i.database?.statementsPerPush, 2)} statements per push`);
  }

  const gcLine = (gc: any) =>
    gc ? `; GC ${int(gc.minor.count)} minor (${f(gc.minor.totalMs, 0)} ms, longest ${f(gc.minor.maxMs, 1)}), ${int(gc.major.count)} major (${f(gc.major.totalMs, 0)} ms, longest ${f(gc.major.maxMs, 1)})` : "";
  // Measured inside the platform processes (lib/server-timing.cjs): what of the latency the load
  // generator sees is spent between a request's headers being parsed and its answer being written.
  for (const ph of r.phases ?? []) {
    for (const [proc, t] of Object.entries<any>(ph.serverTiming ?? {})) {
      if (!t?.serverMs || !(proc.includes("ingress") || proc.startsWith("express"))) continue;
      line(`server-side ${ph.name} ${proc}: ${int(t.requests)} requests, p50 ${f(t.serverMs.p50, 2)} / p99 ${f(t.serverMs.p99, 2)} / p99.9 ${f(t.serverMs.p999, 2)} ms; event-loop delay p99 ${f(t.eventLoopDelayMs?.p99, 1)} / max ${f(t.eventLoopDelayMs?.max, 1)} ms${gcLine(t.gc)}`);
    }
  }

  const e = r.e2e;
  if (e) {
    line();
    line(`-- end to end (${e.stack?.ingress} ingress + ${e.stack?.workers} worker, SIMULATOR_STEP_MS=0)`);
    flowLines(e, line);
    const d = e.database ?? {};
    line(`database: ${int(d.orders)} orders, ${int(d.succeededAndAcked)} at status 4 with callback acked; ${f(d.statementsPerOrder, 2)} statements per order; tuples/order ins ${f(d.tuplesPerOrder?.inserted, 2)} upd ${f(d.tuplesPerOrder?.updated, 2)} fetched ${f(d.tuplesPerOrder?.fetched, 2)} read ${f(d.tuplesPerOrder?.read, 2)}; rows of orders read by sequential scans per order ${f(d.tablesPerOrder?.orders?.seqRead, 2)}`);
    if (d.topLevelStatementsPerOrder !== undefined) line(`pg_stat_statements: ${f(d.topLevelStatementsPerOrder, 2)} top-level statements/order (+${f(d.nestedStatementsPerOrder, 2)} nested FK checks), ${f(d.dbExecMsPerOrder, 3)} ms executor time/order`);
    for (const s of (d.statements ?? []).filter((x: any) => x.perOrder >= 0.01).slice(0, 16)) line(`   ${f(s.perOrder, 3)}/order  mean ${f(s.meanMs, 3)} ms  ${s.label}`);
  }

  const chain = r.chain;
  if (chain) {
    line();
    line(`-- chained: A (${chain.stacks?.a?.ingress} ingress + ${chain.stacks?.a?.workers} worker) → upstream channel → B (simulator, same)`);
    flowLines(chain, line);
    const d = chain.database ?? {};
    line(`database: ${int(d.ordersAtA)} orders at A (${int(d.succeededAndAckedAtA)} at 4 with callback acked), ${int(d.ordersAtB)} at B; statements per order ${f(d.statementsPerOrderAtA, 2)} at A, ${f(d.statementsPerOrderAtB, 2)} at B`);
    for (const s of (d.statementsAtA ?? []).filter((x: any) => x.perOrder >= 0.01).slice(0, 12)) line(`   A: ${f(s.perOrder, 3)}/order  mean ${f(s.meanMs, 3)} ms  ${s.label}`);
  }

  const cpo = r.cpuPerOrder ?? {};
  for (const [name, c] of Object.entries<any>(cpo)) {
    if (!c) continue;
    const groups = Object.entries<number>(c.cpuMsPerOrderByGroup)
      .filter(([, v]) => v > 0.001)
      .map(([g, v]) => `${g} ${f(v, 3)}`)
      .join(", ");
    const scripts = (c.redis?.byCommandPerOrder?.evalsha?.calls ?? 0) + (c.redis?.byCommandPerOrder?.eval?.calls ?? 0);
    line(`CPU ms/order (${name}): ${groups}; Redis: ${f(scripts, 2)} Lua script calls + ${f(c.redis?.commandsPerOrder - scripts, 1)} commands/order (commands run inside scripts included)`);
  }

  for (const p of r.phases ?? []) {
    if (!/^(ingress-saturate|e2e-capacity|chain-capacity)$/.test(p.name) || !p.pgBackendsByState) continue;
    const states = Object.entries<number>(p.pgBackendsByState.avgBackends).slice(0, 6).map(([k, v]) => `${k} ${f(v, 2)}`).join(", ");
    line(`PostgreSQL backends during ${p.name} (average count): ${states}`);
  }

  const ratios = r.ratios ?? {};
  line();
  line(`ratios: ingress/bare Express ${f(ratios.ingressOverBareExpress, 3)} (interleaved pairs, median: ${f(ratios.ingressOverBareExpressPaired, 3)}); ingress/raw INSERT ${f(ratios.ingressOverRawInsert, 3)}; ingress/platform insert without HTTP ${f(ratios.ingressOverPlatformInsert, 3)}; end-to-end/ingress ${f(ratios.endToEndOverIngress, 3)}`);

  const mem = r.memory?.perProcess ?? {};
  const memLine = Object.entries<any>(mem)
    .filter(([k]) => !k.startsWith("redis"))
    .map(([k, v]) => `${k} ${f(v.endMb, 0)} MiB (peak ${f(v.peakMb, 0)}, ${f(v.slopeMbPerMin, 1)}/min)`)
    .join("; ");
  line(`RSS: ${memLine}`);

  for (const [proc, p] of Object.entries<any>(r.profiles ?? {})) {
    if (!p?.byLayer) continue;
    line(`profile ${proc} [${p.phase}]: main thread busy ${int(p.busyMs)} of ${int(p.sampledMs)} ms (${f((100 * p.busyMs) / Math.max(1, p.sampledMs), 0)}%); by library incl. the Node core work done for it: ${(p.byOriginLayer ?? p.byLayer).slice(0, 8).map((l: any) => `${l.name} ${f(l.pctOfBusy, 0)}%`).join(", ")}`);
  }

  line();
  line("targets:");
  for (const [name, t] of Object.entries<any>(r.targets ?? {})) {
    if (name === "memoryFlat") {
      line(`  memory flat: slopes ${JSON.stringify(t.slopesMbPerMin)} MiB/min (${t.caveat})`);
      continue;
    }
    line(`  ${name}: ${t.value === null ? "not measured" : f(t.value, 3)} (target ${t.target}) → ${t.met === null ? "–" : t.met ? "MET" : "NOT MET"}${t.caveat ? `  [${t.caveat}]` : ""}`);
    if (t.bound) line(`      bound: ${t.bound}`);
  }
  process.stdout.write(out.join("\n") + "\n");
}
