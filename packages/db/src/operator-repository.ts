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

export type OperatorPatch = Partial<Omit<NewOperator, "uid" | "md5key">>;

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
    previousMd5key: row.previousMd5key,
    previousKeyUntil: row.previousKeyUntil,
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

  /**
   * A new key, in force at once (callbacks are signed with it from now on). With a grace period the
   * key it replaces keeps verifying the operator's requests until then; without one it stops now. A
   * rotation during a grace period drops the older key: only the one just replaced is kept.
   */
  async rotateKey(uid: string, md5key: string, graceSeconds: number): Promise<{ before: OperatorRecord; after: OperatorRecord } | null> {
    return this.db.prisma.$transaction(async (tx) => {
      const current = await tx.$queryRaw<{ id: bigint }[]>`SELECT id FROM operators WHERE uid = ${uid} FOR UPDATE`;
      if (current.length === 0) return null;
      const beforeRow = await tx.operator.findUniqueOrThrow({ where: { uid }, include: withAccount });
      // The database's clock decides the expiry, like every other time the platform stores.
      await tx.$executeRaw`UPDATE operators SET
          previous_md5_key = CASE WHEN ${graceSeconds}::int > 0 THEN md5_key END,
          previous_key_until = CASE WHEN ${graceSeconds}::int > 0 THEN now() + ${graceSeconds}::int * interval '1 second' END,
          md5_key = ${md5key}, updated_at = now()
        WHERE uid = ${uid}`;
      const afterRow = await tx.operator.findUniqueOrThrow({ where: { uid }, include: withAccount });
      return { before: operatorFromRow(beforeRow), after: operatorFromRow(afterRow) };
    });
  }
}
