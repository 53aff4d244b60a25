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
}
