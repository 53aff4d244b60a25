/** The suite's report: one table row per scenario, the violations under it, and the same as JSON. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CheckResult } from "./invariants";

export interface ScenarioOutcome extends CheckResult {
  name: string;
  fault: string;
  durationS: number;
  /** Kills, restarts, SIGTERMs… actually injected. */
  faultEvents: number;
  notes: string[];
  extra: Record<string, unknown>;
  passed: boolean;
}

const COLUMNS: [string, (o: ScenarioOutcome) => string][] = [
  ["scenario", (o) => o.name],
  ["faults", (o) => String(o.faultEvents)],
  ["pushed", (o) => String(o.pushed)],
  ["acked", (o) => String(o.acknowledged)],
  ["stored", (o) => String(o.stored)],
  ["terminal", (o) => String(o.terminal)],
  ["held@2", (o) => String(o.heldAt2)],
  ["lost", (o) => String(o.lost)],
  ["stuck", (o) => String(o.stuck)],
  ["double settl.", (o) => String(o.doubleSettlements)],
  ["backwards", (o) => String(o.backwards)],
  ["2 channels", (o) => String(o.twoChannels)],
  ["failovers", (o) => String(o.failovers)],
  ["no callback", (o) => String(o.missingCallbacks)],
  ["dup callbacks", (o) => String(o.duplicateCallbacks)],
  ["cb failed", (o) => String(o.callbacksFailed)],
  ["recovery s", (o) => (o.recoveryS === null ? "never" : o.recoveryS.toFixed(1))],
  ["result", (o) => (o.passed ? "PASS" : "FAIL")],
];

const width = (s: string) => [...s].reduce((w, ch) => w + (/[\u3000-\u9fff\uff00-\uffef]/.test(ch) ? 2 : 1), 0);
const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - width(s)));

export function table(outcomes: ScenarioOutcome[]): string {
  const rows = [COLUMNS.map(([h]) => h), ...outcomes.map((o) => COLUMNS.map(([, f]) => f(o)))];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => width(r[i]))));
  const line = (r: string[]) => `| ${r.map((c, i) => pad(c, widths[i])).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(rows[0]), rule, ...rows.slice(1).map(line)].join("\n");
}

export function details(outcomes: ScenarioOutcome[]): string {
  const out: string[] = [];
  for (const o of outcomes) {
    out.push(`\n[${o.passed ? "PASS" : "FAIL"}] ${o.name} — ${o.fault} (${o.durationS.toFixed(0)} s)`);
    for (const n of o.notes) out.push(`    · ${n}`);
    for (const v of o.violations) out.push(`    ✗ ${v}`);
  }
  return out.join("\n");
}

export function writeJson(file: string, payload: unknown): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
}
