import type { Database } from "./client";
import { Prisma } from "./generated/prisma/client";
import { isUniqueViolation } from "./errors";
import { idText, type OperatorRecord } from "./records";

export interface NewOperator {
  uid: string;
  name: string;
  md5key: string;
  rateBp: number;
  ipWhitelist: string[];
  enabled: boolean;
  strictCarrier: boolean;
  faceValues: number[];
  rateLimitPerSecond: number | null;
}

export type OperatorPatch = Partial<Omit<NewOperator, "uid">>;

export class DuplicateOperatorError extends Error {
  override readonly name = "DuplicateOperatorError";
  constructor(readonly uid: string) {
    super(`operator ${uid} exists`);
  }
}

const withAccount = { account: { select: { id: true } } } as const;
type OperatorRow = Prisma.OperatorGetPayload<{ include: typeof withAccount }>;

function operatorFromRow(row: OperatorRow): OperatorRecord {
  if (!row.account) throw new Error(`operator ${row.uid} has no account`);
  return {
    id: idText(row.id),
    uid: row.uid,
    name: row.name,
    md5key: row.md5key,
    rateBp: row.rateBp,
    ipWhitelist: row.ipWhitelist ?? [],
    enabled: row.enabled,
    strictCarrier: row.strictCarrier,
    faceValues: row.faceValues ?? [],
    rateLimitPerSecond: row.rateLimitPerSecond,
    accountId: idText(row.account.id),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Operators and their accounts (one account per operator, created with it). */
export class OperatorRepository {
  constructor(private readonly db: Database) {}

  async create(op: NewOperator): Promise<OperatorRecord> {
    try {
      const row = await this.db.prisma.operator.create({ data: { ...op, account: { create: {} } }, include: withAccount });
      return operatorFromRow(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateOperatorError(op.uid);
      throw error;
    }
  }

  async findByUid(uid: string): Promise<OperatorRecord | null> {
    const row = await this.db.prisma.operator.findUnique({ where: { uid }, include: withAccount });
    return row ? operatorFromRow(row) : null;
  }

  async findById(id: string): Promise<OperatorRecord | null> {
    const row = await this.db.prisma.operator.findUnique({ where: { id: BigInt(id) }, include: withAccount });
    return row ? operatorFromRow(row) : null;
  }

  async list(): Promise<OperatorRecord[]> {
    const rows = await this.db.prisma.operator.findMany({ include: withAccount, orderBy: { id: "asc" } });
    return rows.map(operatorFromRow);
  }

  /** Returns the operator before and after the change, or null when the uid is unknown. */
  async update(uid: string, patch: OperatorPatch): Promise<{ before: OperatorRecord; after: OperatorRecord } | null> {
    return this.db.prisma.$transaction(async (tx) => {
      const current = await tx.$queryRaw<{ id: bigint }[]>`SELECT id FROM operators WHERE uid = ${uid} FOR UPDATE`;
      if (current.length === 0) return null;
      const beforeRow = await tx.operator.findUniqueOrThrow({ where: { uid }, include: withAccount });
      const afterRow = await tx.operator.update({
        where: { uid },
        data: { ...patch, updatedAt: new Date() },
        include: withAccount,
      });
      return { before: operatorFromRow(beforeRow), after: operatorFromRow(afterRow) };
    });
  }
}
