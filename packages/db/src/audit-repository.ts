import type { Database } from "./client";
import { Prisma } from "./generated/prisma/client";

export interface AuditEvent {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditFilter {
  actor?: string;
  targetType?: string;
  targetId?: string;
  from?: Date;
  to?: Date;
}

export interface AuditRecord extends Required<Pick<AuditEvent, "actor" | "action" | "targetType" | "targetId">> {
  id: string;
  before: unknown;
  after: unknown;
  createdAt: Date;
}

const AUDIT_CONDITIONS: [keyof AuditFilter, string][] = [
  ["actor", "actor = $%"],
  ["targetType", "target_type = $%"],
  ["targetId", "target_id = $%"],
  ["from", "created_at >= $%::timestamptz"],
  ["to", "created_at < $%::timestamptz"],
];

function asJson(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === undefined || value === null ? Prisma.DbNull : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
}

/** Every administrative change: who, what, before, after. Callers strip secrets before recording. */
export class AuditRepository {
  constructor(private readonly db: Database) {}

  async record(event: AuditEvent): Promise<void> {
    await this.db.prisma.auditLog.create({
      data: {
        actor: event.actor,
        action: event.action,
        targetType: event.targetType,
        targetId: event.targetId,
        before: asJson(event.before),
        after: asJson(event.after),
      },
    });
  }

  async forTarget(targetType: string, targetId: string) {
    return this.db.prisma.auditLog.findMany({ where: { targetType, targetId }, orderBy: { id: "asc" } });
  }

  /**
   * Newest first, below `beforeId` (a cursor). Only the filters given are in the statement (one
   * prepared statement per combination): a generic plan of "$1 IS NULL OR …" would use no index.
   */
  async search(filter: AuditFilter, limit: number, beforeId: string | null): Promise<AuditRecord[]> {
    const values: unknown[] = [limit, beforeId ?? "9223372036854775807"];
    const where = ["id < $2::bigint"];
    let name = "audit_search";
    for (const [field, condition] of AUDIT_CONDITIONS) {
      if (filter[field] === undefined) continue;
      values.push(filter[field]);
      where.push(condition.replace("%", String(values.length)));
      name += `_${field}`;
    }
    const rows = await this.db.query<{ id: string; actor: string; action: string; target_type: string; target_id: string; before: unknown; after: unknown; created_at: Date }>(
      name,
      `SELECT * FROM audit_log WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT $1`,
      values,
    );
    return rows.map((r) => ({ id: String(r.id), actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, before: r.before, after: r.after, createdAt: r.created_at }));
  }
}
