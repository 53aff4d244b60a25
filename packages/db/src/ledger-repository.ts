import type { Database } from "./client";
import { idText, safeNumber, type LedgerEntryRecord } from "./records";

export interface BalanceSnapshot {
  accountId: string;
  accountCreatedAt: Date;
  /** Balance after the latest entry (the current balance). */
  balance: number;
  latest: LedgerEntryRecord | null;
}

/** A `ledger_entries` row as pg returns it: BIGINT arrives as text. */
interface EntryRow {
  id: string;
  account_id: string;
  kind: string;
  order_id: string | null;
  record: string;
  pay_money: string;
  income: string;
  expenditure: string;
  balance_after: string;
  created_at: Date;
}

function entryFromRow(row: EntryRow): LedgerEntryRecord {
  return {
    id: idText(row.id),
    accountId: idText(row.account_id),
    kind: row.kind as LedgerEntryRecord["kind"],
    orderId: row.order_id === null ? null : idText(row.order_id),
    record: row.record,
    payMoney: safeNumber(row.pay_money),
    income: safeNumber(row.income),
    expenditure: safeNumber(row.expenditure),
    balanceAfter: safeNumber(row.balance_after),
    createdAt: row.created_at,
  };
}

/** One Shanghai day of a statement: how many entries, and their sums (fen). */
export interface StatementDayTotals {
  day: string;
  entries: number;
  income: number;
  expenditure: number;
}

export interface Adjustment {
  income: number;
  expenditure: number;
  record: string;
}

/**
 * The operators' accounts. Entries are only ever appended while holding the account row's lock
 * (the balance UPDATE), so entry ids and balance_after grow together and the latest entry's
 * balance_after is the account balance.
 */
export class LedgerRepository {
  constructor(private readonly db: Database) {}

  /** The account and its latest entry, read in one snapshot. */
  async balance(accountId: string): Promise<BalanceSnapshot | null> {
    const rows = await this.db.query<EntryRow & { acct_id: string; acct_created_at: Date; acct_balance: string; has_entry: boolean }>(
      "ledger_balance",
      `SELECT a.id AS acct_id, a.created_at AS acct_created_at, a.balance AS acct_balance, e.id IS NOT NULL AS has_entry, e.*
      FROM accounts a
      LEFT JOIN LATERAL (SELECT * FROM ledger_entries WHERE account_id = a.id ORDER BY id DESC LIMIT 1) e ON true
      WHERE a.id = $1::bigint`,
      [accountId],
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    const latest = row.has_entry ? entryFromRow(row) : null;
    return {
      accountId: idText(row.acct_id),
      accountCreatedAt: row.acct_created_at,
      balance: latest ? latest.balanceAfter : safeNumber(row.acct_balance),
      latest,
    };
  }

  /** An administrator's manual adjustment (income or expenditure, with a record text). */
  async postAdjustment(accountId: string, adj: Adjustment): Promise<LedgerEntryRecord | null> {
    const rows = await this.db.query<EntryRow>(
      "ledger_adjust",
      `WITH account AS (
        UPDATE accounts SET balance = balance + $2::bigint - $3::bigint
        WHERE id = $1::bigint RETURNING id, balance
      )
      INSERT INTO ledger_entries (account_id, kind, order_id, record, pay_money, income, expenditure, balance_after)
      SELECT id, 'manual', NULL, $4, 0, $2::bigint, $3::bigint, balance FROM account
      RETURNING *`,
      [accountId, adj.income, adj.expenditure, adj.record],
    );
    return rows.length === 1 ? entryFromRow(rows[0]) : null;
  }

  /** Newest first; `beforeId` (a cursor) continues below that entry. balance_after is the running balance. */
  async entries(accountId: string, limit = 100, beforeId: string | null = null): Promise<LedgerEntryRecord[]> {
    const rows = await this.db.query<EntryRow>(
      "ledger_entries_page",
      "SELECT * FROM ledger_entries WHERE account_id = $1::bigint AND id < $3::bigint ORDER BY id DESC LIMIT $2",
      [accountId, limit, beforeId ?? "9223372036854775807"],
    );
    return rows.map(entryFromRow);
  }

  /**
   * Per Asia/Shanghai day from `fromDay` to `toDay` (YYYY-MM-DD, inclusive, every day listed): the
   * day's entries, income and expenditure, and the balance the range opened with. The opening is the
   * account balance less every entry since the range began, in one snapshot: it reads only entries
   * after `fromDay` (not the account's whole history) and is exact by §8 (balance = Σincome − Σexpenditure).
   */
  async statementDays(accountId: string, fromDay: string, toDay: string): Promise<{ opening: number; days: StatementDayTotals[]; lastId: string }> {
    const rows = await this.db.query<{ day: string; entries: number; income: string; expenditure: string; opening: string; last_id: string }>(
      "ledger_statement_days",
      `WITH acct AS (SELECT balance FROM accounts WHERE id = $1::bigint),
      since AS (
        SELECT coalesce(sum(income - expenditure), 0) AS delta FROM ledger_entries
        WHERE account_id = $1::bigint AND created_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
      ),
      per_day AS (
        SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, count(*)::int AS entries,
               sum(income) AS income, sum(expenditure) AS expenditure
        FROM ledger_entries
        WHERE account_id = $1::bigint
          AND created_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
          AND created_at < ($3::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
        GROUP BY 1
      )
      SELECT to_char(d.day, 'YYYY-MM-DD') AS day, coalesce(p.entries, 0) AS entries,
             coalesce(p.income, 0)::text AS income, coalesce(p.expenditure, 0)::text AS expenditure,
             (acct.balance - since.delta)::text AS opening,
             coalesce((SELECT max(id) FROM ledger_entries WHERE account_id = $1::bigint), 0)::text AS last_id
      FROM generate_series($2::date, $3::date, interval '1 day') AS d(day)
      LEFT JOIN per_day p ON p.day = d.day::date
      CROSS JOIN acct CROSS JOIN since
      ORDER BY d.day`,
      [accountId, fromDay, toDay],
    );
    return {
      opening: rows.length > 0 ? safeNumber(rows[0].opening) : 0,
      days: rows.map((r) => ({ day: r.day, entries: r.entries, income: safeNumber(r.income), expenditure: safeNumber(r.expenditure) })),
      lastId: rows.length > 0 ? rows[0].last_id : "0",
    };
  }

  /**
   * The range's entries oldest first, read `pageSize` at a time (keyset on created_at, id): a CSV of
   * any size streams. Only those up to `lastId` (statementDays' snapshot): an account's entries get
   * their ids under its row lock, so later ones have higher ids and the totals still match the list.
   */
  async *statementEntries(accountId: string, fromDay: string, toDay: string, lastId: string, pageSize = 1000): AsyncGenerator<LedgerEntryRecord & { day: string }> {
    let after: { at: Date; id: string } = { at: new Date(0), id: "0" };
    for (;;) {
      const rows = await this.db.query<EntryRow & { day: string }>(
        "ledger_statement_entries",
        `SELECT *, to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD') AS day FROM ledger_entries
        WHERE account_id = $1::bigint
          AND created_at >= ($2::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
          AND created_at < ($3::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'
          AND (created_at, id) > ($4::timestamptz, $5::bigint) AND id <= $7::bigint
        ORDER BY created_at, id LIMIT $6`,
        [accountId, fromDay, toDay, after.at, after.id, pageSize, lastId],
      );
      for (const row of rows) yield { ...entryFromRow(row), day: row.day };
      if (rows.length < pageSize) return;
      const last = rows[rows.length - 1];
      after = { at: last.created_at, id: last.id };
    }
  }

  /** Σincome − Σexpenditure over every entry: must always equal the account balance. */
  async recomputedBalance(accountId: string): Promise<number> {
    const rows = await this.db.query<{ total: string }>(
      "ledger_recomputed_balance",
      "SELECT COALESCE(SUM(income - expenditure), 0)::bigint AS total FROM ledger_entries WHERE account_id = $1::bigint",
      [accountId],
    );
    return safeNumber(rows[0].total);
  }
}
