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

  async entries(accountId: string, limit = 100): Promise<LedgerEntryRecord[]> {
    const rows = await this.db.query<EntryRow>(
      "ledger_entries",
      "SELECT * FROM ledger_entries WHERE account_id = $1::bigint ORDER BY id DESC LIMIT $2",
      [accountId, limit],
    );
    return rows.map(entryFromRow);
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
