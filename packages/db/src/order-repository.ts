import type { BatchedCall } from "@topup/batching";
import { callbackRoundDueBy, canTransition, isTerminal, OrderStatus } from "@topup/protocol";
import type { Database } from "./client";
import { orderFromRow, type OrderRow } from "./order-rows";
import { byId, canonicalId, idText, type OrderRecord, type OrderTransitionRecord } from "./records";
import { statementBatch, unnestColumns } from "./statement-batch";

export interface NewOrder {
  operatorId: string;
  orderNo: string;
  orderType: number;
  mobileType: number;
  phoneNumber: string;
  faceValue: number;
  settlementRateBp: number;
  notifyUrl: string;
  clientIp: string | null;
}

/** What the insert reads back of a row it created: only what the database chose. */
interface CreatedOrderRow {
  id: string;
  serial_number: string;
  operator_id: string;
  order_no: string;
  created_at: Date;
}

/**
 * The record of an order the insert just created, from its input and what the database chose (id,
 * serial, time): every other column holds its default. Reading back all 20 columns (RETURNING *)
 * cost the ingress a few percent of its CPU per push in parsing, dates and garbage. The repository
 * test holds this record equal to the row as stored.
 */
function createdOrder(order: NewOrder, row: CreatedOrderRow): OrderRecord {
  return {
    // Field by field: on Node 20 a spread followed by added keys is many times slower (docs/performance.md).
    id: idText(row.id),
    serialNumber: row.serial_number,
    operatorId: order.operatorId,
    orderNo: order.orderNo,
    orderType: order.orderType,
    mobileType: order.mobileType,
    phoneNumber: order.phoneNumber,
    faceValue: order.faceValue,
    settlementRateBp: order.settlementRateBp,
    notifyUrl: order.notifyUrl,
    clientIp: order.clientIp,
    status: OrderStatus.Created,
    channel: null,
    mobileOrderNo: null,
    callbackState: "none",
    callbackRound: 0,
    nextCheckAt: new Date(row.created_at), // the insert plans the first step for now(), its created_at
    createdAt: row.created_at,
    updatedAt: new Date(row.created_at),
    finishedAt: null,
  };
}

export type InsertOutcome = { created: true; order: OrderRecord } | { created: false; order: OrderRecord };

export interface TransitionPatch {
  channel?: string;
  mobileOrderNo?: string;
  reason?: string;
  /**
   * When fulfilment should look at the order next. Ignored for terminal statuses: the callback
   * round they open is due by callbackRoundDueBy (its first attempt starts at once).
   */
  nextCheckAt?: Date | null;
  /**
   * The channel the move was decided for: the order moves only while that is still its channel
   * (a replayed failover cannot move it twice). Undefined: not checked.
   */
  fromChannel?: string | null;
  /** The outcome of the order's attempt with `channel` that the move records (ChannelAttemptUpdate). */
  attempt?: ChannelAttemptUpdate;
  /** Opens attempt `openAttempt` with the channel the order moves to (placing with it). */
  openAttempt?: number;
}

/**
 * What a channel answered, recorded on the order's attempt with it: `final` closes the attempt (a
 * success, a definitive failure, a return). A success also records what it cost (the channel's costBp).
 */
export interface ChannelAttemptUpdate {
  channel: string;
  outcome: string;
  answer?: string | null;
  final: boolean;
}

/** An order's attempt with one channel, as fulfilment reads it. */
export interface AttemptSummary {
  channel: string;
  attemptNo: number;
  outcome: string;
  answer: string | null;
  /** Closed: a success, a definitive failure or a return; the order may then go to another channel. */
  finished: boolean;
}

/** What hears of each committed status change, after the commit. */
export interface TransitionObserver {
  moved(from: OrderStatus, to: readonly OrderStatus[], order: OrderRecord, attempt: ChannelAttemptUpdate | undefined): void;
}

/** An order with its channel attempts, in the order they were made. */
export interface OrderWithAttempts {
  order: OrderRecord;
  attempts: AttemptSummary[];
}

/** One step of a transition path: the status it moves to and why. */
export interface TransitionStep {
  to: OrderStatus;
  reason?: string;
}

/** A transition path checked against the transition table, ready to be committed. */
interface PlannedPath {
  orderId: string;
  from: OrderStatus;
  to: OrderStatus;
  steps: readonly TransitionStep[];
  /** The status each step leaves (steps[i] goes from froms[i] to steps[i].to). */
  froms: readonly OrderStatus[];
  channel: string | null;
  mobileOrderNo: string | null;
  nextCheckAt: Date | null;
  terminal: boolean;
  settles: boolean;
  checkChannel: boolean;
  fromChannel: string | null;
  attemptChannel: string | null;
  attemptOutcome: string | null;
  attemptAnswer: string | null;
  attemptFinal: boolean;
  openAttempt: number | null;
}

/** A channel's answer as stored: at most 1 KiB, and no NUL (PostgreSQL cannot store it). */
export function excerpt(answer: string | null | undefined): string | null {
  return answer == null ? null : answer.slice(0, 1024).replace(/\u0000/g, "\ufffd");
}

function orderKey(operatorId: string, orderNo: string): string {
  return `${operatorId} ${orderNo}`; // operator ids are digits: the first space ends them
}

function insertColumns(orders: readonly NewOrder[]): unknown[][] {
  return unnestColumns(orders, ["operatorId", "orderNo", "orderType", "mobileType", "phoneNumber", "faceValue", "settlementRateBp", "notifyUrl", "clientIp"]);
}

function pathColumns(paths: readonly PlannedPath[]): unknown[][] {
  const steps = paths.flatMap((p) => p.steps.map((step, i) => ({ orderId: p.orderId, from: p.froms[i], to: step.to, reason: step.reason ?? null })));
  return [
    ...unnestColumns(paths, ["orderId", "from", "to", "channel", "mobileOrderNo", "nextCheckAt", "terminal", "settles"]),
    ...unnestColumns(steps, ["orderId", "from", "to", "reason"]),
    ...unnestColumns(paths, ["orderId", "checkChannel", "fromChannel", "attemptChannel", "attemptOutcome", "attemptAnswer", "attemptFinal", "openAttempt"]),
  ];
}

export class IllegalTransitionError extends Error {
  override readonly name = "IllegalTransitionError";
  constructor(readonly from: OrderStatus, readonly to: OrderStatus) {
    super(`order status cannot move from ${from} to ${to}`);
  }
}

/**
 * Orders and their lifecycle. Every status change goes through `transition`, which checks the
 * protocol's transition table and applies the change as ONE conditional statement
 * (`WHERE status = from`): a replayed or duplicated job finds the status already moved and changes
 * nothing. The history row, and for status 4 the ledger entry, are written by the same statement,
 * so they commit or vanish together.
 */
export class OrderRepository {
  private readonly inserts = statementBatch<NewOrder, InsertOutcome>((calls) => this.insertBatch(calls));
  /** One order per statement at most: a replayed step waits for the statement of the first one. */
  private readonly paths = statementBatch<PlannedPath, OrderRecord | null>(
    (calls) => this.transitionBatch(calls),
    (path) => path.orderId,
  );

  /** Reads of orders fulfilment decides from, many per statement under load (a read takes no locks). */
  private readonly reads = statementBatch<string, OrderWithAttempts | null>((calls) => this.findBatch(calls));

  constructor(
    private readonly db: Database,
    /** Told of every committed path (metrics); never of one that moved nothing. */
    private readonly observer?: TransitionObserver,
  ) {}

  /**
   * Stores a new order, or finds the one already stored under (operator, order_no). Resolves only
   * once the row has committed. Orders stored together go to the database as ONE statement
   * (statementBatch): under load that is one round trip and one commit (one WAL flush) for many
   * orders, and alone it costs what a single insert did.
   */
  insert(order: NewOrder): Promise<InsertOutcome> {
    return this.inserts.add(order);
  }

  /**
   * One statement for the batch: each row's id, the serial number derived from it (the date and
   * every digit of the id: lpad alone would cut ids of 11 digits and more), and its creation
   * history row commit atomically. A conflict on (operator, order_no) — a repeated push, also one
   * racing in another process or in the same batch — inserts nothing, and the stored row is then read
   * by its key (the statement's snapshot may predate it).
   */
  private async insertBatch(calls: readonly BatchedCall<NewOrder, InsertOutcome>[]): Promise<void> {
    const rows = await this.db.keyed<CreatedOrderRow>(
      "order_insert",
      `WITH input AS (
        SELECT i.*, nextval(pg_get_serial_sequence('orders', 'id')) AS id
        FROM unnest($1::bigint[], $2::varchar[], $3::smallint[], $4::smallint[], $5::varchar[], $6::integer[],
                    $7::integer[], $8::varchar[], $9::varchar[])
             AS i(operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp, notify_url, client_ip)
      ),
      created AS (
        INSERT INTO orders (id, serial_number, operator_id, order_no, order_type, mobile_type, phone_number,
                            face_value, settlement_rate_bp, notify_url, client_ip, next_check_at)
        SELECT id, to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(id::text, greatest(10, length(id::text)), '0'),
               operator_id, order_no, order_type, mobile_type, phone_number, face_value, settlement_rate_bp,
               notify_url, client_ip, now()
        FROM input
        ON CONFLICT (operator_id, order_no) DO NOTHING
        RETURNING *
      ),
      history AS (
        INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at)
        SELECT id, NULL, ${OrderStatus.Created}, 'accepted', created_at FROM created
      )
      SELECT id, serial_number, operator_id, order_no, created_at FROM created`,
      // In key order, like every batch that takes row locks: two statements holding some of the
      // same rows then wait for each other in turn instead of deadlocking.
      insertColumns(calls.map((c) => c.input).sort((a, b) => (orderKey(a.operatorId, a.orderNo) < orderKey(b.operatorId, b.orderNo) ? -1 : 1))),
    );
    const created = new Map(rows.map((row) => [orderKey(idText(row.operator_id), row.order_no), row]));
    await Promise.all(
      calls.map(async (call) => {
        const key = orderKey(call.input.operatorId, call.input.orderNo);
        const row = created.get(key);
        if (row) {
          created.delete(key); // a second push of the same key in this batch is a repeat
          return call.resolve({ created: true, order: createdOrder(call.input, row) });
        }
        try {
          const existing = await this.findByOrderNo(call.input.operatorId, call.input.orderNo);
          if (!existing) throw new Error(`order ${call.input.orderNo} conflicted but cannot be found`);
          call.resolve({ created: false, order: existing });
        } catch (error) {
          call.reject(error);
        }
      }),
    );
  }

  async findById(id: string): Promise<OrderRecord | null> {
    const rows = await this.db.query<OrderRow>("order_by_id", "SELECT * FROM orders WHERE id = $1::bigint", [id]);
    return rows.length === 1 ? orderFromRow(rows[0]) : null;
  }

  /** The order with its attempts with channels, in the order they were made: what fulfilment decides from. */
  findWithAttempts(id: string): Promise<OrderWithAttempts | null> {
    return this.reads.add(id);
  }

  private async findBatch(calls: readonly BatchedCall<string, OrderWithAttempts | null>[]): Promise<void> {
    const rows = await this.db.keyed<OrderRow & { attempts: AttemptSummary[] }>(
      "orders_with_attempts",
      `SELECT o.*, COALESCE((
         SELECT json_agg(json_build_object('channel', a.channel_code, 'attemptNo', a.attempt_no, 'outcome', a.outcome,
                                           'answer', a.answer, 'finished', a.finished_at IS NOT NULL) ORDER BY a.attempt_no)
         FROM channel_attempts a WHERE a.order_id = o.id), '[]') AS attempts
       FROM orders o WHERE o.id = ANY($1::bigint[])`,
      [[...new Set(calls.map((c) => c.input))]],
    );
    const found = new Map(rows.map((row) => [idText(row.id), { order: orderFromRow(row), attempts: row.attempts }]));
    for (const call of calls) call.resolve(found.get(canonicalId(call.input)) ?? null);
  }

  /**
   * findWithAttempts by the platform's serial number (what suppliers know an order by). The serial
   * is the Shanghai date followed by the id's digits, so the id's primary key finds it.
   */
  async findWithAttemptsBySerial(serialNumber: string): Promise<OrderWithAttempts | null> {
    const match = /^[0-9]{8}0*([1-9][0-9]{0,18})$/.exec(serialNumber);
    if (!match || BigInt(match[1]) > 9_223_372_036_854_775_807n) return null;
    const found = await this.findWithAttempts(match[1]);
    return found?.order.serialNumber === serialNumber ? found : null;
  }

  async findByOrderNo(operatorId: string, orderNo: string): Promise<OrderRecord | null> {
    const rows = await this.db.query<OrderRow>(
      "order_by_order_no",
      "SELECT * FROM orders WHERE operator_id = $1::bigint AND order_no = $2",
      [operatorId, orderNo],
    );
    return rows.length === 1 ? orderFromRow(rows[0]) : null;
  }

  /**
   * Moves an order from `from` to `to` if, and only if, it is still at `from`. Returns the updated
   * order, or null when the order was not at `from` (already moved by another run of the same job).
   * Reaching a terminal status opens callback round 1; reaching 4 settles the order in the ledger.
   */
  transition(orderId: string, from: OrderStatus, to: OrderStatus, patch: TransitionPatch = {}): Promise<OrderRecord | null> {
    return this.transitionPath(orderId, from, [{ to, reason: patch.reason }], patch);
  }

  /**
   * Moves an order along consecutive transitions (from → steps[0] → steps[1] …) in ONE conditional
   * statement: every step is checked against the transition table first, the order lands on the
   * last step only if it is still at `from`, and each step gets its own history row (in step order).
   * Used when several moves are learned at once (a channel that answers without delay), so they
   * cost one round trip and one commit instead of one per step. Each step carries its own reason.
   * Paths of different orders share a statement under load (statementBatch); one order's never do.
   */
  transitionPath(
    orderId: string,
    from: OrderStatus,
    steps: readonly TransitionStep[],
    patch: Omit<TransitionPatch, "reason"> = {},
  ): Promise<OrderRecord | null> {
    if (steps.length === 0) return Promise.reject(new Error("a transition path needs at least one step"));
    const froms: OrderStatus[] = [];
    let at = from;
    for (const step of steps) {
      if (!canTransition(at, step.to)) return Promise.reject(new IllegalTransitionError(at, step.to));
      froms.push(at);
      at = step.to;
    }
    const terminal = isTerminal(at);
    const moved = this.paths.add({
      orderId: canonicalId(orderId),
      from,
      to: at,
      steps,
      froms,
      channel: patch.channel ?? null,
      mobileOrderNo: patch.mobileOrderNo ?? null,
      nextCheckAt: terminal ? callbackRoundDueBy(new Date(), 0, 0) : (patch.nextCheckAt ?? null),
      terminal,
      settles: at === OrderStatus.Succeeded,
      checkChannel: patch.fromChannel !== undefined,
      fromChannel: patch.fromChannel ?? null,
      attemptChannel: patch.attempt?.channel ?? null,
      attemptOutcome: patch.attempt?.outcome ?? null,
      attemptAnswer: excerpt(patch.attempt?.answer),
      attemptFinal: patch.attempt?.final ?? false,
      openAttempt: patch.openAttempt ?? null,
    });
    if (!this.observer) return moved;
    const observer = this.observer;
    return moved.then((order) => {
      if (order) observer.moved(from, steps.map((step) => step.to), order, patch.attempt);
      return order;
    });
  }

  /**
   * The paths of several orders as one statement. Each order moves only if it is still at its
   * `from`; the history rows keep step order; the orders that reach 4 are settled per operator with
   * ONE update of its account (the sum of their incomes) and an entry each, whose balance_after
   * runs in order id order — so the account row is locked once per statement, not once per order.
   */
  private async transitionBatch(calls: readonly BatchedCall<PlannedPath, OrderRecord | null>[]): Promise<void> {
    const rows = await this.db.keyed<OrderRow>(
      "order_transition",
      `WITH input AS (
        SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::smallint[], $4::varchar[], $5::varchar[],
                             $6::timestamptz[], $7::boolean[], $8::boolean[])
             AS i(id, from_status, to_status, channel, mobile_order_no, next_check_at, terminal, settles)
      ),
      checks AS (
        SELECT * FROM unnest($13::bigint[], $14::boolean[], $15::varchar[], $16::varchar[], $17::varchar[], $18::varchar[],
                             $19::boolean[], $20::integer[])
             AS c(id, check_channel, from_channel, attempt_channel, attempt_outcome, attempt_answer, attempt_final, open_attempt)
      ),
      moved AS (
        UPDATE orders SET
          status = input.to_status,
          updated_at = now(),
          channel = COALESCE(input.channel, orders.channel),
          mobile_order_no = COALESCE(input.mobile_order_no, orders.mobile_order_no),
          finished_at = CASE WHEN input.terminal THEN now() ELSE orders.finished_at END,
          next_check_at = input.next_check_at,
          callback_state = CASE WHEN input.terminal THEN 'pending' ELSE orders.callback_state END,
          callback_round = CASE WHEN input.terminal THEN 1 ELSE orders.callback_round END
        FROM input JOIN checks ON checks.id = input.id
        WHERE orders.id = input.id AND orders.status = input.from_status
          AND (NOT checks.check_channel OR orders.channel IS NOT DISTINCT FROM checks.from_channel)
        RETURNING orders.*
      ),
      -- The channel's cost is a subquery, not a join: joined, \`channels\` could feed the attempt's
      -- index its channel_code alone, and a plan kept from a small table then read the whole index
      -- for every order.
      attempt_answered AS (
        UPDATE channel_attempts SET
          outcome = checks.attempt_outcome,
          answer = COALESCE(checks.attempt_answer, channel_attempts.answer),
          answered_at = COALESCE(channel_attempts.answered_at, moved.updated_at),
          finished_at = CASE WHEN checks.attempt_final THEN moved.updated_at ELSE channel_attempts.finished_at END,
          cost_fen = CASE WHEN moved.status = 4
            THEN moved.face_value::bigint * (SELECT channels.cost_bp FROM channels WHERE channels.code = checks.attempt_channel) / 10000
            ELSE channel_attempts.cost_fen END
        FROM moved JOIN checks ON checks.id = moved.id
        WHERE channel_attempts.order_id = moved.id AND channel_attempts.channel_code = checks.attempt_channel
          AND checks.attempt_outcome IS NOT NULL
      ),
      -- The slot a channel with a concurrency limit gave the order, back once its attempt ends.
      slot_freed AS (
        UPDATE channel_slots SET order_id = NULL, claimed_at = NULL
        FROM moved JOIN checks ON checks.id = moved.id
        WHERE checks.attempt_final AND channel_slots.order_id = moved.id AND channel_slots.channel_code = checks.attempt_channel
      ),
      attempt_opened AS (
        INSERT INTO channel_attempts (order_id, channel_code, attempt_no, started_at)
        SELECT moved.id, moved.channel, checks.open_attempt, moved.updated_at
        FROM moved JOIN checks ON checks.id = moved.id
        WHERE checks.open_attempt IS NOT NULL
      ),
      history AS (
        INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at)
        SELECT moved.id, step.from_status, step.to_status, step.reason, moved.updated_at
        FROM unnest($9::bigint[], $10::smallint[], $11::smallint[], $12::varchar[]) WITH ORDINALITY
             AS step(order_id, from_status, to_status, reason, n)
        JOIN moved ON moved.id = step.order_id
        ORDER BY step.n
      ),
      income AS (
        SELECT moved.id AS order_id, moved.operator_id, moved.face_value::bigint AS pay_money,
               moved.face_value::bigint * moved.settlement_rate_bp / 10000 AS amount, moved.updated_at
        FROM moved JOIN input ON input.id = moved.id
        WHERE input.settles
      ),
      account AS (
        UPDATE accounts SET balance = accounts.balance + totals.amount
        FROM (SELECT operator_id, sum(amount)::bigint AS amount FROM income GROUP BY operator_id) AS totals
        WHERE accounts.operator_id = totals.operator_id
        RETURNING accounts.id, accounts.operator_id, accounts.balance - totals.amount AS balance_before
      ),
      entry AS (
        INSERT INTO ledger_entries (account_id, kind, order_id, record, pay_money, income, expenditure, balance_after, created_at)
        SELECT account.id, 'order_income', income.order_id, '订单收款', income.pay_money, income.amount, 0,
               account.balance_before + sum(income.amount) OVER (PARTITION BY income.operator_id ORDER BY income.order_id),
               income.updated_at
        FROM income JOIN account ON account.operator_id = income.operator_id
        ORDER BY income.order_id
      )
      SELECT * FROM moved`,
      pathColumns(calls.map((c) => c.input).sort(byId((path) => path.orderId))), // id order: see insertBatch
    );
    const moved = new Map(rows.map((row) => [idText(row.id), row]));
    for (const call of calls) {
      const row = moved.get(call.input.orderId);
      call.resolve(row ? orderFromRow(row) : null);
    }
  }

  async history(orderId: string): Promise<OrderTransitionRecord[]> {
    const rows = await this.db.prisma.orderTransition.findMany({ where: { orderId: BigInt(orderId) }, orderBy: { id: "asc" } });
    return rows.map((r) => ({
      id: idText(r.id),
      orderId: idText(r.orderId),
      fromStatus: r.fromStatus as OrderStatus | null,
      toStatus: r.toStatus as OrderStatus,
      reason: r.reason,
      createdAt: r.createdAt,
    }));
  }

  /**
   * Records that a look at the order changed nothing and when the next one is due — only if the
   * order is still at `status` and still planned for `expectedDue` (a stale replay changes nothing).
   */
  async reschedule(
    orderId: string,
    status: OrderStatus,
    expectedDue: Date | null,
    nextCheckAt: Date | null,
    attempt?: ChannelAttemptUpdate,
  ): Promise<boolean> {
    if (!attempt) {
      const rows = await this.db.query(
        "order_reschedule",
        `UPDATE orders SET next_check_at = $4::timestamptz
        WHERE id = $1::bigint AND status = $2::smallint AND next_check_at IS NOT DISTINCT FROM $3::timestamptz
        RETURNING id`,
        [orderId, status, expectedDue, nextCheckAt],
      );
      return rows.length === 1;
    }
    // The plan changes together with the record of what the order's channel answered.
    const rows = await this.db.query(
      "order_reschedule_attempt",
      `WITH moved AS (
        UPDATE orders SET next_check_at = $4::timestamptz
        WHERE id = $1::bigint AND status = $2::smallint AND next_check_at IS NOT DISTINCT FROM $3::timestamptz
          AND channel IS NOT DISTINCT FROM $5::varchar
        RETURNING id
      ), answered AS (
        UPDATE channel_attempts SET outcome = $6::varchar, answer = COALESCE($7::varchar, answer),
          answered_at = COALESCE(answered_at, now()), finished_at = CASE WHEN $8::boolean THEN now() ELSE finished_at END
        FROM moved WHERE channel_attempts.order_id = moved.id AND channel_attempts.channel_code = $5::varchar
      )
      SELECT id FROM moved`,
      [orderId, status, expectedDue, nextCheckAt, attempt.channel, attempt.outcome, excerpt(attempt.answer), attempt.final],
    );
    return rows.length === 1;
  }

  /**
   * Orders whose next_check_at passed before `overdueBefore`: the reconciler's work list. It holds
   * both kinds of automatic work — a planned fulfilment step, and a terminal order's open callback
   * round (due by callbackRoundDueBy) — so one index serves both and no update that opens or
   * closes a round touches another.
   */
  async findOverdue(overdueBefore: Date, limit: number): Promise<OrderRecord[]> {
    const rows = await this.db.query<OrderRow>(
      "order_overdue",
      "SELECT * FROM orders WHERE next_check_at < $1 ORDER BY next_check_at LIMIT $2",
      [overdueBefore, limit],
    );
    return rows.map(orderFromRow);
  }
}
