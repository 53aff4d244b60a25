import type { Database } from "./client";
import { Prisma } from "./generated/prisma/client";
import { idText, type RouteChannelEntry, type RouteRecord } from "./records";

/** A route as it is written; faceValues null for any face value (an empty list would match nothing). */
export type NewRoute = Omit<RouteRecord, "id" | "createdAt" | "updatedAt">;

export type RoutePatch = Partial<NewRoute>;

/** A route named channels that do not exist. */
export class UnknownChannelError extends Error {
  override readonly name = "UnknownChannelError";
  constructor(readonly codes: string[]) {
    super(`unknown channel ${codes.join(", ")}`);
  }
}

const withChannels = { channels: { orderBy: { position: "asc" } } } as const satisfies Prisma.RouteInclude;
type RouteRow = Prisma.RouteGetPayload<{ include: typeof withChannels }>;
type Tx = Prisma.TransactionClient;

function routeFromRow(row: RouteRow): RouteRecord {
  return {
    id: idText(row.id),
    uid: row.uid,
    orderType: row.orderType,
    mobileType: row.mobileType,
    // Prisma reads a NULL list as []; the table refuses an empty one, so [] can only be NULL.
    faceValues: row.faceValues.length === 0 ? null : row.faceValues,
    priority: row.priority,
    enabled: row.enabled,
    holdMs: row.holdMs,
    channels: row.channels.map((c) => ({ code: c.channelCode, tier: c.tier, weight: c.weight })),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function entryRows(channels: readonly RouteChannelEntry[]) {
  return channels.map((c, position) => ({ channelCode: c.code, position, tier: c.tier, weight: c.weight }));
}

/**
 * Routes and their channels (PROTOCOL §12). Every write checks, in its transaction, that the
 * channels it names exist (UnknownChannelError); the foreign key holds it afterwards.
 */
export class RouteRepository {
  constructor(private readonly db: Database) {}

  async create(route: NewRoute): Promise<RouteRecord> {
    const { channels, faceValues, ...fields } = route;
    return this.db.prisma.$transaction(async (tx) => {
      await requireChannels(tx, channels);
      // Left out, the list column is NULL (any face value).
      const data = { ...fields, ...(faceValues ? { faceValues } : {}), channels: { create: entryRows(channels) } };
      return routeFromRow(await tx.route.create({ data, include: withChannels }));
    });
  }

  async findById(id: string): Promise<RouteRecord | null> {
    const row = await this.db.prisma.route.findUnique({ where: { id: BigInt(id) }, include: withChannels });
    return row ? routeFromRow(row) : null;
  }

  async list(): Promise<RouteRecord[]> {
    const rows = await this.db.prisma.route.findMany({ include: withChannels, orderBy: { id: "asc" } });
    return rows.map(routeFromRow);
  }

  /** Returns the route before and after the change, or null when the id is unknown. `channels` replaces the whole list. */
  async update(id: string, patch: RoutePatch): Promise<{ before: RouteRecord; after: RouteRecord } | null> {
    const { channels, faceValues, ...fields } = patch;
    return this.db.prisma.$transaction(async (tx) => {
      const before = await lockRoute(tx, id);
      if (!before) return null;
      if (channels) {
        await requireChannels(tx, channels);
        await tx.routeChannel.deleteMany({ where: { routeId: BigInt(id) } });
        await tx.routeChannel.createMany({ data: entryRows(channels).map((row) => ({ ...row, routeId: BigInt(id) })) });
      }
      await tx.route.update({ where: { id: BigInt(id) }, data: { ...fields, updatedAt: new Date() } });
      if (faceValues !== undefined) await setFaceValues(tx, BigInt(id), faceValues);
      return { before, after: routeFromRow(await tx.route.findUniqueOrThrow({ where: { id: BigInt(id) }, include: withChannels })) };
    });
  }

  /** Deletes the route and its channel list; returns it as it was, or null when the id is unknown. */
  async delete(id: string): Promise<RouteRecord | null> {
    return this.db.prisma.$transaction(async (tx) => {
      const before = await lockRoute(tx, id);
      if (before) await tx.route.delete({ where: { id: BigInt(id) } });
      return before;
    });
  }
}

async function lockRoute(tx: Tx, id: string): Promise<RouteRecord | null> {
  const current = await tx.$queryRaw<{ id: bigint }[]>`SELECT id FROM routes WHERE id = ${BigInt(id)} FOR UPDATE`;
  if (current.length === 0) return null;
  return routeFromRow(await tx.route.findUniqueOrThrow({ where: { id: BigInt(id) }, include: withChannels }));
}

async function requireChannels(tx: Tx, channels: readonly RouteChannelEntry[]): Promise<void> {
  const codes = channels.map((c) => c.code);
  // FOR SHARE: a channel cannot go away between this check and the insert that names it.
  const found = await tx.$queryRaw<{ code: string }[]>`SELECT code FROM channels WHERE code = ANY(${codes}::varchar[]) FOR SHARE`;
  const known = new Set(found.map((r) => r.code));
  const missing = codes.filter((code) => !known.has(code));
  if (missing.length > 0) throw new UnknownChannelError(missing);
}

/** Prisma cannot write NULL into a list column: face_values is written here, NULL for "any". */
async function setFaceValues(tx: Tx, id: bigint, faceValues: number[] | null): Promise<void> {
  await tx.$executeRaw`UPDATE routes SET face_values = ${faceValues}::integer[] WHERE id = ${id}`;
}
