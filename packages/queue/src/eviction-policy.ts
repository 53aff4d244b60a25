import type IORedis from "ioredis";

/**
 * Redis's maxmemory-policy, read from INFO (managed Redis services often refuse CONFIG GET). BullMQ
 * needs `noeviction`: under any other policy Redis may drop job keys when memory runs short, and
 * the platform then relies on its reconciler to rebuild the lost work. Null when it cannot be read.
 */
export async function evictionPolicy(redis: IORedis): Promise<string | null> {
  const info = await redis.info("memory");
  return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? null;
}

/** Logs a warning (once, at start-up) when Redis may evict keys; never fails the start. */
export async function checkEvictionPolicy(redis: IORedis, warn: (message: string, meta: Record<string, unknown>) => void): Promise<void> {
  const policy = await evictionPolicy(redis).catch(() => null);
  if (policy !== null && policy !== "noeviction") {
    warn("Redis maxmemory-policy is not noeviction: Redis may drop queued jobs under memory pressure (the reconciler rebuilds them, late)", { policy });
  }
}
