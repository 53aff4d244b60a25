import type { Database } from "./client";
import { isUniqueViolation } from "./errors";
import type { Channel } from "./generated/prisma/client";
import { safeNumber, type ChannelKind, type ChannelRecord, type CircuitState, type UpstreamConfig } from "./records";

/** An upstream's config as it is written: with its md5key (kept in a column of its own). */
export interface UpstreamSettings extends UpstreamConfig {
  md5key: string;
}

export interface NewChannel {
  code: string;
  kind: ChannelKind;
  name: string;
  enabled: boolean;
  /** Required for an upstream, null for the other kinds (the table refuses anything else). */
  config: UpstreamSettings | null;
  concurrency: number | null;
  costBp: number;
}

/** Any field but code and kind; an upstream's config fields one by one (the others are kept). */
export interface ChannelPatch {
  name?: string;
  enabled?: boolean;
  config?: Partial<UpstreamSettings>;
  concurrency?: number | null;
  costBp?: number;
  /** An administrator's reset of the circuit: closed, its error and probation counts back to 0. */
  circuit?: "closed";
}

/** What one process saw of a channel since it last reported (ChannelRepository.addCallCounts). */
export interface CallCounts {
  code: string;
  /** Errors after the last ok call (all of them when there was none). */
  trailingErrors: number;
  sawOk: boolean;
  /** Ok calls after the last error (all of them when there was none). */
  trailingOks: number;
  sawError: boolean;
}

/** A channel's circuit as the breaker decides from it. */
export interface CircuitRow {
  code: string;
  state: CircuitState;
  openedAt: Date | null;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
}

export interface ChannelChange {
  before: ChannelRecord;
  after: ChannelRecord;
  /** The patch gave the upstream a different md5key. */
  md5keyChanged: boolean;
}

export class DuplicateChannelError extends Error {
  override readonly name = "DuplicateChannelError";
  constructor(readonly code: string) {
    super(`channel ${code} exists`);
  }
}

function channelFromRow(row: Channel): ChannelRecord {
  const config = row.config as unknown as Partial<UpstreamConfig>;
  return {
    code: row.code,
    kind: row.kind as ChannelKind,
    name: row.name,
    enabled: row.enabled,
    config: row.kind === "upstream" ? { baseUrl: String(config.baseUrl), uid: String(config.uid) } : null,
    concurrency: row.concurrency,
    costBp: row.costBp,
    balance: row.balance === null ? null : safeNumber(row.balance),
    balanceReadAt: row.balanceReadAt,
    circuitState: row.circuitState as CircuitState,
    circuitOpenedAt: row.circuitOpenedAt,
    consecutiveFailures: row.consecutiveFailures,
    consecutiveSuccesses: row.consecutiveSuccesses,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** `config` without the key: the key goes to its own column. */
function configColumns(config: UpstreamSettings | null): { config: { baseUrl: string; uid: string } | Record<string, never>; md5key: string | null } {
  return config ? { config: { baseUrl: config.baseUrl, uid: config.uid }, md5key: config.md5key } : { config: {}, md5key: null };
}

/**
 * Channels (供货渠道, PROTOCOL §12). Records never carry an upstream's md5key: only
 * upstreamCredentials reads it, for the one place that signs with it.
 */
export class ChannelRepository {
  constructor(private readonly db: Database) {}

  async create(channel: NewChannel): Promise<ChannelRecord> {
    try {
      const row = await this.db.prisma.channel.create({ data: { ...channel, ...configColumns(channel.config) } });
      return channelFromRow(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateChannelError(channel.code);
      throw error;
    }
  }

  async findByCode(code: string): Promise<ChannelRecord | null> {
    const row = await this.db.prisma.channel.findUnique({ where: { code } });
    return row ? channelFromRow(row) : null;
  }

  async list(): Promise<ChannelRecord[]> {
    const rows = await this.db.prisma.channel.findMany({ orderBy: { code: "asc" } });
    return rows.map(channelFromRow);
  }

  /** Returns the channel before and after the change, or null when the code is unknown. */
  async update(code: string, patch: ChannelPatch): Promise<ChannelChange | null> {
    return this.db.prisma.$transaction(async (tx) => {
      const current = await tx.$queryRaw<{ code: string }[]>`SELECT code FROM channels WHERE code = ${code} FOR UPDATE`;
      if (current.length === 0) return null;
      const beforeRow = await tx.channel.findUniqueOrThrow({ where: { code } });
      const { config, circuit, ...fields } = patch;
      const before = channelFromRow(beforeRow);
      const keyed =
        config && before.config
          ? configColumns({ ...before.config, md5key: beforeRow.md5key ?? "", ...config })
          : {};
      const reset = circuit === "closed" ? { circuitState: "closed", consecutiveFailures: 0, consecutiveSuccesses: 0 } : {};
      const afterRow = await tx.channel.update({ where: { code }, data: { ...fields, ...keyed, ...reset, updatedAt: new Date() } });
      return { before, after: channelFromRow(afterRow), md5keyChanged: afterRow.md5key !== beforeRow.md5key };
    });
  }

  /** What signing with an upstream takes; null for an unknown code or a channel of another kind. */
  async upstreamCredentials(code: string): Promise<UpstreamSettings | null> {
    const row = await this.db.prisma.channel.findUnique({ where: { code } });
    if (!row || row.md5key === null) return null;
    const config = channelFromRow(row).config;
    return config ? { ...config, md5key: row.md5key } : null;
  }

  /**
   * Adds one process's call counts to the channels' consecutive error and ok counts, and returns
   * the circuit of those channels and of every channel whose circuit is not closed: one statement
   * per health flush (ChannelHealth). Counts from several processes interleave only approximately
   * (each adds its own run of errors or oks), which is as exact as "in a row" can be across them.
   * updated_at is left alone: it versions the channel's configuration (ChannelDirectory).
   */
  async addCallCounts(counts: readonly CallCounts[]): Promise<CircuitRow[]> {
    const rows = await this.db.query<{ code: string; state: string; opened_at: Date | null; failures: number; successes: number }>(
      "channel_add_call_counts",
      `WITH d AS (
         SELECT * FROM unnest($1::varchar[], $2::int[], $3::bool[], $4::int[], $5::bool[]) AS d(code, trailing_errors, saw_ok, trailing_oks, saw_error)
       ), u AS (
         UPDATE channels c SET
           consecutive_failures = CASE WHEN d.saw_ok THEN d.trailing_errors ELSE c.consecutive_failures + d.trailing_errors END,
           consecutive_successes = CASE WHEN d.saw_error THEN d.trailing_oks ELSE c.consecutive_successes + d.trailing_oks END
         FROM d WHERE c.code = d.code
         RETURNING c.code, c.circuit_state, c.circuit_opened_at, c.consecutive_failures, c.consecutive_successes
       )
       SELECT code, circuit_state AS state, circuit_opened_at AS opened_at, consecutive_failures AS failures, consecutive_successes AS successes FROM u
       UNION ALL
       SELECT code, circuit_state, circuit_opened_at, consecutive_failures, consecutive_successes FROM channels
       WHERE circuit_state <> 'closed' AND code <> ALL($1::varchar[])`,
      [
        counts.map((c) => c.code),
        counts.map((c) => c.trailingErrors),
        counts.map((c) => c.sawOk),
        counts.map((c) => c.trailingOks),
        counts.map((c) => c.sawError),
      ],
    );
    return rows.map((r) => ({ code: r.code, state: r.state as CircuitState, openedAt: r.opened_at, consecutiveFailures: r.failures, consecutiveSuccesses: r.successes }));
  }

  /**
   * Moves a circuit from the state it was decided from (the same opening, for an open one) to
   * `to`; false when it is no longer there (another process moved it first). Opening stamps
   * circuit_opened_at; each move starts the probation count again, and going half-open or closed
   * the error count too.
   */
  async moveCircuit(code: string, from: { state: CircuitState; openedAt: Date | null }, to: CircuitState, at: Date): Promise<boolean> {
    const rows = await this.db.query<{ code: string }>(
      "channel_move_circuit",
      `UPDATE channels SET
         circuit_state = $4::varchar,
         circuit_opened_at = CASE WHEN $4::varchar = 'open' THEN $5::timestamptz ELSE circuit_opened_at END,
         consecutive_failures = CASE WHEN $4::varchar = 'open' THEN consecutive_failures ELSE 0 END,
         consecutive_successes = 0
       WHERE code = $1 AND circuit_state = $2 AND circuit_opened_at IS NOT DISTINCT FROM $3::timestamptz
       RETURNING code`,
      [code, from.state, from.openedAt, to, at],
    );
    return rows.length === 1;
  }

  /**
   * Takes the channel's balance read unless a process took it less than `minAgeMs` ago: with
   * several workers, one of them reads each channel's balance per period. False when taken.
   */
  async claimBalanceRead(code: string, at: Date, minAgeMs: number): Promise<boolean> {
    const rows = await this.db.query<{ code: string }>(
      "channel_claim_balance_read",
      `UPDATE channels SET balance_claimed_at = $2
       WHERE code = $1 AND (balance_claimed_at IS NULL OR balance_claimed_at <= $3)
       RETURNING code`,
      [code, at, new Date(at.getTime() - minAgeMs)],
    );
    return rows.length === 1;
  }

  /** The balance a channel reported (fen), read at `at`. */
  async storeBalance(code: string, balance: number, at: Date): Promise<void> {
    await this.db.query("channel_store_balance", "UPDATE channels SET balance = $2, balance_read_at = $3 WHERE code = $1", [code, balance, at]);
  }
}
