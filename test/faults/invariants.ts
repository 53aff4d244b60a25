/**
 * The invariants of issue #3, checked against the scenario's database (the source of truth), the
 * load generator's record of what was acknowledged, and what the callback receivers saw.
 */
import { balanceQuerySign, canTransition, isOrderStatus, isTerminal, OrderStatus, type OrderStatus as Status } from "@topup/protocol";
import type { PushedOrder } from "./load";
import type { Behaviour, FaultReceiver } from "./receiver";
import { sleep, type PrivatePostgres } from "./services";

/** Receivers that acknowledge (sooner or later within the timeout): their orders must end `acked`. */
const ACKING: ReadonlySet<Behaviour> = new Set<Behaviour>(["ok", "slow", "flaky"]);
/** Receivers that never acknowledge: their orders must end `failed`, after exactly 3 attempts. */
const NEVER_ACKING: ReadonlySet<Behaviour> = new Set<Behaviour>(["hang", "reset", "garbage", "too-slow"]);

interface OrderRow {
  id: string;
  order_no: string;
  phone_number: string;
  face_value: number;
  settlement_rate_bp: number;
  status: number;
  serial_number: string;
  channel: string | null;
  callback_state: string;
  callback_round: number;
  created_at: Date;
  finished_at: Date | null;
  operator_id: string;
}
interface TransitionRow {
  order_id: string;
  from_status: number | null;
  to_status: number;
  reason: string | null;
  created_at: Date;
}
interface LedgerRow {
  account_id: string;
  kind: string;
  order_id: string | null;
  record: string;
  pay_money: string;
  income: string;
  expenditure: string;
}
interface AttemptRow {
  order_id: string;
  round: number;
  attempt_no: number;
  acknowledged: boolean;
  started_at: Date;
  latency_ms: number;
  error: string | null;
}

export interface ChannelAttemptRow {
  order_id: string;
  channel_code: string;
  attempt_no: number;
  outcome: string;
  started_at: Date;
  finished_at: Date | null;
}

/** Outcomes that close an attempt as a definitive failure: only after one may the order go to another channel (PROTOCOL §12). */
const DEFINITIVE_FAILURES: ReadonlySet<string> = new Set(["refused", "failed", "busy"]);

/** Deliveries a receiver sees per order when nothing crashes (PROTOCOL §7: 3 attempts in all). */
const EXPECTED_DELIVERIES: Record<Behaviour, number> = { ok: 1, slow: 1, flaky: 2, "too-slow": 3, hang: 3, reset: 3, garbage: 3 };

export interface CheckInput {
  pg: PrivatePostgres;
  database: string;
  orders: PushedOrder[];
  receivers: FaultReceiver[];
  /** End of the fault (ms): recovery is measured from here. */
  faultEnd: number;
  /** Start of the fault (ms); when given, orders pushed well after the fault must settle as fast as before it. */
  faultStart?: number;
  /**
   * Without crashes every receiver sees exactly its expected deliveries, spaced by the backoff, each
   * within the 10 s timeout; with crashes at-least-once allows more.
   */
  strictAttempts: boolean;
  /** CALLBACK_BACKOFF_MS of the platform under test. */
  callbackBackoffMs: number;
  /** An ingress to ask for the balance through the operator API (PROTOCOL §8), and the operator. */
  balance?: { baseUrl: string; uid: string; key: string };
}

export interface CheckResult {
  pushed: number;
  acknowledged: number;
  stored: number;
  terminal: number;
  heldAt2: number;
  lost: number;
  stuck: number;
  doubleSettlements: number;
  settlementErrors: number;
  backwards: number;
  twoChannels: number;
  /** Orders placed with more than one channel (failovers). */
  failovers: number;
  missingCallbacks: number;
  duplicateCallbacks: number;
  excessDeliveries: number;
  callbacksFailed: number;
  badSigns: number;
  recoveryS: number | null;
  violations: string[];
  /** A few duplicated callbacks with their timing, as evidence (receiver view and recorded attempts). */
  duplicateSample: unknown[];
  /** Push-to-terminal time (ms) of orders created before the fault, and of those created 5 s or more after it. */
  settleBefore: Stats | null;
  settleAfter: Stats | null;
}

export interface Stats {
  n: number;
  p50: number;
  max: number;
}

/** Orders pushed this long after the fault ended must be back to normal speed. */
export const STEADY_AFTER_MS = 5_000;
/** "Normal speed" after a fault: below the reconciler's grace, so nothing waits on the reconciler any more. */
const STEADY_MAX_MS = 10_000;

function stats(values: number[]): Stats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

const heldAt2 = (o: { phone_number: string; status: number }) => o.phone_number.endsWith("0002") && o.status === OrderStatus.Paying;
const settled = (o: OrderRow) =>
  heldAt2(o) || (isOrderStatus(o.status) && isTerminal(o.status) && (o.callback_state === "acked" || o.callback_state === "failed"));

/** Polls the database until every stored order is settled, or the time runs out. Returns the unsettled count. */
export async function waitForSettled(pg: PrivatePostgres, database: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let open = -1;
    try {
      const rows = await pg.query<OrderRow>(database, "SELECT phone_number, status, callback_state FROM orders");
      open = rows.filter((o) => !settled(o)).length;
    } catch {
      // the database may still be coming back
    }
    if (open === 0 || Date.now() > deadline) return open;
    await sleep(500);
  }
}

export async function checkInvariants(input: CheckInput): Promise<CheckResult> {
  const { pg, database } = input;
  const violations: string[] = [];
  const violate = (text: string) => {
    if (violations.length < 40) violations.push(text);
    else if (violations.length === 40) violations.push("… (more violations not listed)");
  };

  const orders = await pg.query<OrderRow>(
    database,
    `SELECT id::text, order_no, phone_number, face_value, settlement_rate_bp, status, serial_number, channel, callback_state, callback_round,
            created_at, finished_at, operator_id::text FROM orders`,
  );
  const transitions = await pg.query<TransitionRow>(
    database,
    "SELECT order_id::text, from_status, to_status, reason, created_at FROM order_transitions ORDER BY order_id, id",
  );
  const ledger = await pg.query<LedgerRow>(
    database,
    "SELECT account_id::text, kind, order_id::text, record, pay_money::text, income::text, expenditure::text FROM ledger_entries",
  );
  const accounts = await pg.query<{ id: string; balance: string }>(database, "SELECT id::text, balance::text FROM accounts");
  const attempts = await pg.query<AttemptRow>(
    database,
    "SELECT order_id::text, round, attempt_no, acknowledged, started_at, latency_ms, error FROM callback_attempts ORDER BY order_id, id",
  );

  const channelAttempts = await pg.query<ChannelAttemptRow>(
    database,
    "SELECT order_id::text, channel_code, attempt_no, outcome, started_at, finished_at FROM channel_attempts ORDER BY order_id, attempt_no",
  );

  const byNo = new Map(orders.map((o) => [o.order_no, o]));
  const pushedByNo = new Map(input.orders.map((o) => [o.orderNo, o]));
  const receiverOf = (orderNo: string) => pushedByNo.get(orderNo)?.receiver;
  const group = <T extends { order_id: string | null }>(rows: T[]) => {
    const map = new Map<string, T[]>();
    for (const r of rows) {
      if (r.order_id === null) continue;
      const list = map.get(r.order_id) ?? [];
      list.push(r);
      map.set(r.order_id, list);
    }
    return map;
  };
  const transitionsOf = group(transitions);
  const incomeOf = group(ledger.filter((e) => e.kind === "order_income"));
  const attemptsOf = group(attempts);
  const channelAttemptsOf = group(channelAttempts);

  // 1. Nothing acknowledged is lost; everything stored reaches its end.
  let lost = 0;
  let stuck = 0;
  for (const pushed of input.orders) {
    if (pushed.acked && !byNo.has(pushed.orderNo)) {
      lost++;
      violate(`LOST: ${pushed.orderNo} acknowledged with code "200" but not in the database`);
    }
  }
  for (const o of orders) {
    if (settled(o)) continue;
    stuck++;
    const acked = pushedByNo.get(o.order_no)?.acked ?? false;
    if (acked) lost++;
    violate(`STUCK: order ${o.id} (${o.order_no}${acked ? ", acknowledged" : ""}) at status ${o.status}, callback ${o.callback_state}`);
  }
  for (const o of orders) {
    if (!pushedByNo.has(o.order_no)) violate(`UNKNOWN: order ${o.id} (${o.order_no}) was never pushed by the load`);
  }

  // 2. One settlement per successful order, with the right amounts; balance = Σincome − Σexpenditure.
  let doubleSettlements = 0;
  let settlementErrors = 0;
  for (const o of orders) {
    const entries = incomeOf.get(o.id) ?? [];
    if (entries.length > 1) {
      doubleSettlements++;
      violate(`DOUBLE SETTLEMENT: order ${o.id} has ${entries.length} 订单收款 entries`);
    }
    if (o.status === OrderStatus.Succeeded && entries.length === 0) {
      settlementErrors++;
      violate(`UNSETTLED: order ${o.id} is at 4 without a 订单收款 entry`);
    }
    if (o.status !== OrderStatus.Succeeded && entries.length > 0) {
      settlementErrors++;
      violate(`WRONG SETTLEMENT: order ${o.id} at status ${o.status} has a 订单收款 entry`);
    }
    for (const e of entries) {
      const income = Math.floor((o.face_value * o.settlement_rate_bp) / 10000);
      if (e.record !== "订单收款" || Number(e.pay_money) !== o.face_value || Number(e.income) !== income || Number(e.expenditure) !== 0) {
        settlementErrors++;
        violate(`WRONG AMOUNTS: order ${o.id}: ${JSON.stringify(e)}, expected income ${income}`);
      }
    }
  }
  for (const a of accounts) {
    const entries = ledger.filter((e) => e.account_id === a.id);
    const sum = entries.reduce((s, e) => s + BigInt(e.income) - BigInt(e.expenditure), 0n);
    if (sum !== BigInt(a.balance)) {
      settlementErrors++;
      violate(`BALANCE: account ${a.id} balance ${a.balance} ≠ Σincome − Σexpenditure ${sum}`);
    }
  }
  if (input.balance && accounts.length === 1) {
    const answered = await balanceThroughApi(input.balance).catch((e: Error) => `error ${e.message}`);
    if (answered !== accounts[0].balance) {
      settlementErrors++;
      violate(`BALANCE API: accountBalance ${answered} ≠ database ${accounts[0].balance}`);
    }
  }

  // 3. Statuses only move along the transition table; 4. one channel at a time, each channel once.
  let backwards = 0;
  let twoChannels = 0;
  let failovers = 0;
  for (const o of orders) {
    const chain = transitionsOf.get(o.id) ?? [];
    let previous: number | null = null;
    let broken = "";
    for (const [i, t] of chain.entries()) {
      const from = t.from_status;
      if (i === 0) {
        if (from !== null || t.to_status !== OrderStatus.Created) broken = `starts ${from}→${t.to_status}`;
      } else if (from === null || from !== previous) {
        broken = `gap: ${previous} then ${from}→${t.to_status}`;
      } else if (!isOrderStatus(from) || !isOrderStatus(t.to_status) || !canTransition(from as Status, t.to_status as Status)) {
        broken = `illegal ${from}→${t.to_status}`;
      }
      if (broken) break;
      previous = t.to_status;
    }
    if (!broken && previous !== o.status) broken = `history ends at ${previous}, order at ${o.status}`;
    if (broken) {
      backwards++;
      violate(`TRANSITIONS: order ${o.id}: ${broken}`);
    }
    const tried = channelAttemptsOf.get(o.id) ?? [];
    const problems = [...placementProblems(o, chain, tried), ...attemptOverlaps(o, tried)];
    if (problems.length > 0) {
      twoChannels++;
      violate(`CHANNEL: order ${o.id}: ${problems.join("; ")}`);
    }
    if (tried.length > 1) failovers++;
  }

  // 5. Callbacks: every terminal order is called back (at least once) with its status and a valid sign.
  let missingCallbacks = 0;
  let duplicateCallbacks = 0;
  let excessDeliveries = 0;
  let callbacksFailed = 0;
  let badSigns = 0;
  const duplicateSample: unknown[] = [];
  for (const o of orders) {
    const receiver = receiverOf(o.order_no);
    const deliveries = receiver?.for(o.order_no) ?? [];
    for (const d of deliveries) {
      if (!d.signOk || !d.contentTypeOk) {
        badSigns++;
        violate(`CALLBACK FORM: order ${o.id}: sign ok ${d.signOk}, content type ok ${d.contentTypeOk}`);
      }
      if (d.status !== String(o.status)) violate(`CALLBACK STATUS: order ${o.id} at ${o.status} called back with status ${d.status}`);
    }
    const firstAck = deliveries.findIndex((d) => d.acked);
    if (firstAck >= 0 && deliveries.length - firstAck - 1 > 0) {
      duplicateCallbacks += deliveries.length - firstAck - 1;
      if (duplicateSample.length < 5) {
        duplicateSample.push({
          orderId: o.id,
          orderNo: o.order_no,
          received: deliveries.map((d) => ({ at: new Date(d.at).toISOString(), acked: d.acked })),
          recorded: (attemptsOf.get(o.id) ?? []).map((a) => ({ round: a.round, attemptNo: a.attempt_no, startedAt: a.started_at.toISOString(), acknowledged: a.acknowledged })),
        });
      }
    }
    const rounds = Math.max(1, o.callback_round);
    if (deliveries.length > 3 * rounds) {
      excessDeliveries += deliveries.length - 3 * rounds;
      if (input.strictAttempts) violate(`ATTEMPTS: order ${o.id} got ${deliveries.length} callbacks in ${rounds} round(s) without any crash`);
    }
    const recorded = attemptsOf.get(o.id) ?? [];
    for (let r = 1; r <= rounds; r++) {
      const inRound = recorded.filter((a) => a.round === r);
      if (inRound.length > 3) violate(`ATTEMPTS: order ${o.id} round ${r} has ${inRound.length} recorded attempts (3 in all)`);
    }
    if (!isOrderStatus(o.status) || !isTerminal(o.status)) {
      if (deliveries.length > 0) violate(`CALLBACK EARLY: order ${o.id} at ${o.status} was called back`);
      continue;
    }
    if (deliveries.length === 0) {
      missingCallbacks++;
      violate(`NO CALLBACK: order ${o.id} (${o.order_no}) ended at ${o.status}, callback ${o.callback_state}, none received`);
    }
    if (o.callback_state === "failed") callbacksFailed++;
    if (receiver && ACKING.has(receiver.behaviour) && o.callback_state !== "acked") {
      violate(`CALLBACK STATE: order ${o.id} (receiver ${receiver.behaviour}) ended ${o.callback_state}`);
    }
    if (receiver && input.strictAttempts && o.callback_round === 1) {
      const expected = EXPECTED_DELIVERIES[receiver.behaviour];
      if (deliveries.length !== expected) {
        violate(`DELIVERIES: order ${o.id} (receiver ${receiver.behaviour}) got ${deliveries.length} callbacks, expected ${expected}`);
      }
      const round = recorded.filter((a) => a.round === 1).sort((a, b) => a.attempt_no - b.attempt_no);
      round.forEach((a, i) => {
        if (a.latency_ms > 11_000) violate(`TIMEOUT: order ${o.id} attempt ${a.attempt_no} took ${a.latency_ms} ms (10 s per attempt)`);
        if (receiver.behaviour === "hang" && !(a.latency_ms >= 9_500 && /timeout/i.test(a.error ?? ""))) {
          violate(`TIMEOUT: order ${o.id} attempt ${a.attempt_no} to a hanging receiver: ${a.latency_ms} ms, error ${a.error}`);
        }
        if (i === 0) return;
        const previous = round[i - 1];
        const gap = a.started_at.getTime() - (previous.started_at.getTime() + previous.latency_ms);
        const backoff = input.callbackBackoffMs * 2 ** (i - 1);
        if (gap < backoff * 0.9 - 20) violate(`BACKOFF: order ${o.id} attempt ${a.attempt_no} began ${gap} ms after attempt ${previous.attempt_no} ended (backoff ${backoff} ms)`);
      });
    }
    if (receiver && NEVER_ACKING.has(receiver.behaviour)) {
      if (o.callback_state === "acked") violate(`FALSE ACK: order ${o.id} (receiver ${receiver.behaviour}) counted as acknowledged`);
      if (o.callback_state === "failed" && recorded.filter((a) => a.round === 1).length !== 3) {
        violate(`ATTEMPTS: order ${o.id} (receiver ${receiver.behaviour}) failed after ${recorded.length} recorded attempts, not 3`);
      }
    }
  }

  // Recovery: from the end of the fault until every order stored before it had settled.
  let recoveryS: number | null = null;
  const before = orders.filter((o) => o.created_at.getTime() <= input.faultEnd);
  if (before.every(settled)) {
    let last = input.faultEnd;
    for (const o of before) {
      const chain = transitionsOf.get(o.id) ?? [];
      const reached = heldAt2(o) ? chain.find((t) => t.to_status === OrderStatus.Paying)?.created_at : o.finished_at;
      if (reached) last = Math.max(last, reached.getTime());
      for (const a of attemptsOf.get(o.id) ?? []) last = Math.max(last, a.started_at.getTime() + a.latency_ms);
    }
    recoveryS = Math.round((last - input.faultEnd) / 100) / 10;
  }

  // Steady state after the fault: the platform recovered by itself, without waiting on the reconciler.
  let settleBefore: Stats | null = null;
  let settleAfter: Stats | null = null;
  if (input.faultStart !== undefined) {
    const faultStart = input.faultStart;
    const timeToEnd = (list: OrderRow[]) =>
      list.filter((o) => o.finished_at && !o.phone_number.endsWith("0002")).map((o) => (o.finished_at as Date).getTime() - o.created_at.getTime());
    settleBefore = stats(timeToEnd(orders.filter((o) => o.created_at.getTime() < faultStart)));
    settleAfter = stats(timeToEnd(orders.filter((o) => o.created_at.getTime() >= input.faultEnd + STEADY_AFTER_MS)));
    if (!settleAfter) violate(`NO STEADY STATE: no order was pushed ${STEADY_AFTER_MS / 1000} s or more after the fault`);
    else if (settleAfter.max > STEADY_MAX_MS) {
      violate(`SLOW AFTER FAULT: orders pushed ${STEADY_AFTER_MS / 1000} s after the fault took up to ${settleAfter.max} ms to finish (before: ${JSON.stringify(settleBefore)})`);
    }
  }

  return {
    settleBefore,
    settleAfter,
    pushed: input.orders.length,
    acknowledged: input.orders.filter((o) => o.acked).length,
    stored: orders.length,
    terminal: orders.filter((o) => isOrderStatus(o.status) && isTerminal(o.status)).length,
    heldAt2: orders.filter(heldAt2).length,
    lost,
    stuck,
    doubleSettlements,
    settlementErrors,
    backwards,
    twoChannels,
    failovers,
    missingCallbacks,
    duplicateCallbacks,
    excessDeliveries,
    callbacksFailed,
    badSigns,
    recoveryS,
    violations,
    duplicateSample,
  };
}

/** The channel a placing transition names: "placing with X", or "failover from W: placing with X". */
function placedWith(t: TransitionRow): string {
  return /placing with (\S+)$/.exec(t.reason ?? "")?.[1] ?? `(unreadable reason ${JSON.stringify(t.reason)})`;
}

/**
 * The order's history and its channel attempts tell the same story: one placing per attempt, in
 * attempt order, each with a channel not tried before, the last one being the order's channel.
 */
function placementProblems(o: Pick<OrderRow, "status" | "channel">, chain: TransitionRow[], tried: ChannelAttemptRow[]): string[] {
  const placed = chain.filter((t) => t.to_status === OrderStatus.Placing).map(placedWith);
  const attempted = tried.map((a) => a.channel_code);
  const problems: string[] = [];
  if (new Set(placed).size !== placed.length) problems.push(`placed with the same channel twice: [${placed.join(",")}]`);
  if (placed.join(",") !== attempted.join(",")) problems.push(`history places with [${placed.join(",")}] but the attempts are [${attempted.join(",")}]`);
  if (o.status !== OrderStatus.Created && o.channel === null) problems.push(`at ${o.status} without a channel`);
  if (placed.length > 0 && placed[placed.length - 1] !== o.channel) problems.push(`last placed with ${placed[placed.length - 1]}, channel ${o.channel}`);
  return problems;
}

/**
 * An order is with at most one channel at a time (PROTOCOL §12): at most one unfinished attempt; a
 * later attempt only after the earlier one finished as a definitive failure (refused, failed,
 * busy), and not before it finished; nothing unfinished once the order is final.
 */
export function attemptOverlaps(o: Pick<OrderRow, "status">, tried: ChannelAttemptRow[]): string[] {
  const problems: string[] = [];
  const sorted = [...tried].sort((a, b) => a.attempt_no - b.attempt_no);
  const open = sorted.filter((a) => a.finished_at === null);
  if (open.length > 1) problems.push(`${open.length} unfinished attempts at once (${open.map((a) => a.channel_code).join(", ")})`);
  if (sorted.some((a, i) => a.attempt_no !== i + 1)) problems.push(`attempt numbers ${sorted.map((a) => a.attempt_no).join(",")}`);
  sorted.forEach((a, i) => {
    const next = sorted[i + 1];
    if (!next) return;
    if (a.finished_at === null || !DEFINITIVE_FAILURES.has(a.outcome)) {
      problems.push(`attempt ${next.attempt_no} (${next.channel_code}) while attempt ${a.attempt_no} (${a.channel_code}) was ${a.finished_at === null ? "unfinished" : "finished"} as ${a.outcome}`);
    } else if (next.started_at.getTime() < a.finished_at.getTime()) {
      problems.push(`attempt ${next.attempt_no} (${next.channel_code}) started ${a.finished_at.getTime() - next.started_at.getTime()} ms before attempt ${a.attempt_no} (${a.channel_code}) finished`);
    }
  });
  if (isOrderStatus(o.status) && isTerminal(o.status) && open.length > 0) problems.push(`final at ${o.status} with attempt ${open[0].attempt_no} (${open[0].channel_code}) unfinished`);
  return problems;
}

/** One supplier's own record of a serial pushed to it. */
export interface SupplierSerial {
  firstPushAt: number;
  /** When the supplier made known that it will never recharge the serial (a refusal answered, a failure reported); null: never. */
  definitiveAt: number | null;
  recharged: boolean;
}

export interface SupplierRecords {
  /** The supplier's channel code on the platform. */
  code: string;
  serials: ReadonlyMap<string, SupplierSerial>;
}

export interface SupplierCheck {
  violations: string[];
  /** Serials that reached more than one supplier. */
  pushedToSeveral: number;
  rechargedBy: Record<string, number>;
}

/**
 * The upstream exchange seen from the suppliers' side: a serial reaches a supplier only after the
 * one before had ruled itself out, no serial is recharged twice, and the platform's final word on
 * every order agrees with who recharged it (a recharge the platform missed is money given away).
 */
export async function checkSupplierRecords(pg: PrivatePostgres, database: string, suppliers: SupplierRecords[]): Promise<SupplierCheck> {
  const orders = await pg.query<Pick<OrderRow, "id" | "serial_number" | "status" | "channel">>(database, "SELECT id::text, serial_number, status, channel FROM orders");
  const violations: string[] = [];
  const serials = new Set(suppliers.flatMap((s) => [...s.serials.keys()]));
  let pushedToSeveral = 0;
  for (const serial of serials) {
    const seen = suppliers
      .flatMap((s) => {
        const record = s.serials.get(serial);
        return record ? [{ code: s.code, ...record }] : [];
      })
      .sort((a, b) => a.firstPushAt - b.firstPushAt);
    if (seen.length > 1) pushedToSeveral++;
    for (const [i, later] of seen.slice(1).entries()) {
      const earlier = seen[i];
      if (earlier.definitiveAt === null || earlier.definitiveAt > later.firstPushAt) {
        const ruledOut = earlier.definitiveAt === null ? "never ruled itself out" : `ruled itself out only ${earlier.definitiveAt - later.firstPushAt} ms later`;
        violations.push(`TWO SUPPLIERS: serial ${serial} pushed to ${later.code} while ${earlier.code} could still recharge it (${earlier.code} ${ruledOut})`);
      }
    }
    const recharged = seen.filter((s) => s.recharged).map((s) => s.code);
    if (recharged.length > 1) violations.push(`RECHARGED TWICE: serial ${serial} recharged by ${recharged.join(" and ")}`);
  }
  const rechargedBy: Record<string, number> = {};
  for (const o of orders) {
    const by = suppliers.filter((s) => s.serials.get(o.serial_number)?.recharged).map((s) => s.code);
    for (const code of by) rechargedBy[code] = (rechargedBy[code] ?? 0) + 1;
    if (by.length === 1 && (o.status !== OrderStatus.Succeeded || o.channel !== by[0])) {
      violations.push(`RECHARGE MISSED: order ${o.id} (serial ${o.serial_number}) recharged by ${by[0]} but at ${o.status} with ${o.channel}`);
    }
    if (o.status === OrderStatus.Succeeded && by.length === 0) {
      violations.push(`SUCCESS WITHOUT RECHARGE: order ${o.id} (serial ${o.serial_number}) at 4 with ${o.channel}, which never recharged it`);
    }
  }
  return { violations: violations.slice(0, 40), pushedToSeveral, rechargedBy };
}

async function balanceThroughApi(b: { baseUrl: string; uid: string; key: string }): Promise<string> {
  const res = await fetch(`${b.baseUrl}/1/api/oper/balance`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ uid: b.uid, sign: balanceQuerySign(b.uid, b.key) }).toString(),
  });
  const outer = (await res.json()) as { code: string; data: string };
  if (outer.code !== "200") throw new Error(`balance query answered ${JSON.stringify(outer)}`);
  // accountBalance is a plain integer in the inner JSON text; read its digits without float rounding.
  const match = /"accountBalance":(-?\d+)/.exec(outer.data);
  return match ? match[1] : `unreadable ${outer.data}`;
}
