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
      const { config, ...fields } = patch;
      const before = channelFromRow(beforeRow);
      const keyed =
        config && before.config
          ? configColumns({ ...before.config, md5key: beforeRow.md5key ?? "", ...config })
          : {};
      const afterRow = await tx.channel.update({ where: { code }, data: { ...fields, ...keyed, updatedAt: new Date() } });
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
}
