import type { Database } from "./client";
import { idText, safeNumber, type LedgerEntryRecord } from "./records";

export interface BalanceSnapshot {
  accountId: string;
  accountCreatedAt: Date;
  /** Balance after the latest entry (the current balance). */
  balance: number;
  latest: LedgerEntryRecord | null;
}

interface EntryRow {
  id: bigint;
  account_id: bigint;
  kind: string;
  order_id: bigint | null;
  record: string;
  pay_money: bigint;
  income: bigint;
  expenditure: bigint;
  balance_after: bigint;
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
    const rows = await this.db.$queryRaw<(EntryRow & { acct_id: bigint; acct_created_at: Date; acct_balance: bigint; has_entry: boolean })[]>`
      SELECT a.id AS acct_id, a.created_at AS acct_created_at, a.balance AS acct_balance, e.id IS NOT NULL AS has_entry, e.*
      FROM accounts a
      LEFT JOIN LATERAL (SELECT * FROM ledger_entries WHERE account_id = a.id ORDER BY id DESC LIMIT 1) e ON true
      WHERE a.id = ${accountId}::bigint`;
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
    const rows = await this.db.$queryRaw<EntryRow[]>`
      WITH account AS (
        UPDATE accounts SET balance = balance + ${adj.income}::bigint - ${adj.expenditure}::bigint
        WHERE id = ${accountId}::bigint RETURNING id, balance
      )
      INSERT INTO ledger_entries (account_id, kind, order_id, record, pay_money, income, expenditure, balance_after)
      SELECT id, 'manual', NULL, ${adj.record}, 0, ${adj.income}::bigint, ${adj.expenditure}::bigint, balance FROM account
      RETURNING *`;
    return rows.length === 1 ? entryFromRow(rows[0]) : null;
  }

  async entries(accountId: string, limit = 100): Promise<LedgerEntryRecord[]> {
    const rows = await this.db.$queryRaw<EntryRow[]>`
      SELECT * FROM ledger_entries WHERE account_id = ${accountId}::bigint ORDER BY id DESC LIMIT ${limit}`;
    return rows.map(entryFromRow);
  }

  /** Σincome − Σexpenditure over every entry: must always equal the account balance. */
  async recomputedBalance(accountId: string): Promise<number> {
    const rows = await this.db.$queryRaw<{ total: bigint }[]>`
      SELECT COALESCE(SUM(income - expenditure), 0)::bigint AS total FROM ledger_entries WHERE account_id = ${accountId}::bigint`;
    return safeNumber(rows[0].total);
  }
}
