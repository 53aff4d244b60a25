/** Redis for the bench: command counters (INFO commandstats), the server's pid, and key cleanup. */
import IORedis from "ioredis";

export interface CommandStats {
  [command: string]: { calls: number; usec: number };
}

export async function commandStats(redis: IORedis): Promise<CommandStats> {
  const text = await redis.info("commandstats");
  const out: CommandStats = {};
  for (const line of text.split("\n")) {
    const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line.trim());
    if (m) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return out;
}

export function commandDelta(a: CommandStats, b: CommandStats): CommandStats {
  const out: CommandStats = {};
  for (const [cmd, end] of Object.entries(b)) {
    const start = a[cmd] ?? { calls: 0, usec: 0 };
    const calls = end.calls - start.calls;
    if (calls > 0) out[cmd] = { calls, usec: end.usec - start.usec };
  }
  return out;
}

export async function serverPid(redis: IORedis): Promise<number> {
  const text = await redis.info("server");
  return Number(/process_id:(\d+)/.exec(text)?.[1] ?? -1);
}

/** Deletes every key under `prefix:` (bounded SCAN loop). Returns how many were deleted. */
export async function deletePrefix(redis: IORedis, prefix: string): Promise<number> {
  let cursor = "0";
  let deleted = 0;
  for (let i = 0; i < 1_000_000; i++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    if (keys.length > 0) deleted += await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  return deleted;
}
