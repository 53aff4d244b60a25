/**
 * Partial loss of a platform's Redis keys, as a failover to a lagging replica, an eviction policy
 * other than noeviction, or a cleanup by pattern leaves it: some of the queue prefix's keys vanish
 * while the platform keeps running. Keys are told apart by BullMQ's key layout
 * (`<prefix>:<queue>:<suffix>`), so that one kind can be deleted at a time.
 */
import IORedis from "ioredis";

/** The queue keys BullMQ keeps beside its jobs (their suffix after `<prefix>:<queue>:`). */
const QUEUE_KEYS = new Set(["wait", "active", "delayed", "prioritized", "paused", "completed", "failed", "stalled", "stalled-check", "meta", "id", "events", "marker", "pc", "limiter", "waiting-children", "de", "repeat"]);

/** What a key is: a job's hash, a job's lock (or other sub-key), one of the queue keys above, or anything else under the prefix. */
export function keyKind(prefix: string, key: string): string {
  const rest = key.slice(prefix.length + 1);
  const queueEnd = rest.indexOf(":");
  if (!key.startsWith(`${prefix}:`) || queueEnd < 0) return "other";
  const suffix = rest.slice(queueEnd + 1);
  if (QUEUE_KEYS.has(suffix)) return suffix;
  const sub = suffix.indexOf(":");
  if (sub < 0) return "job";
  return QUEUE_KEYS.has(suffix.slice(0, sub)) ? suffix.slice(0, sub) : suffix.slice(sub + 1); // e.g. "lock", "logs"
}

export interface Deletion {
  what: string;
  at: number;
  found: number;
  deleted: number;
  byKind: Record<string, number>;
}

export class KeyLoss {
  private readonly redis: IORedis;
  readonly deletions: Deletion[] = [];

  constructor(url: string, private readonly prefix: string) {
    this.redis = new IORedis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  }

  private async keys(): Promise<string[]> {
    const found: string[] = [];
    let cursor = "0";
    for (let rounds = 0; rounds < 10_000; rounds++) {
      const [next, batch] = await this.redis.scan(cursor, "MATCH", `${this.prefix}:*`, "COUNT", 1000);
      found.push(...batch);
      cursor = next;
      if (cursor === "0") break;
    }
    return [...new Set(found)];
  }

  /** Deletes a random `share` (0–1) of the prefix's keys. */
  deleteShare(share: number): Promise<Deletion> {
    return this.delete(`${Math.round(share * 100)} % of all keys`, () => Math.random() < share);
  }

  /**
   * Deletes every key of one kind (see keyKind), once one exists: some kinds (a lock, the marker,
   * an entry waiting for a worker) live for moments only, so it looks again for up to `waitMs`.
   */
  async deleteKind(kind: string, waitMs = 3_000): Promise<Deletion> {
    const of = (key: string) => keyKind(this.prefix, key) === kind;
    const until = Date.now() + waitMs;
    while (Date.now() < until && !(await this.keys()).some(of)) await new Promise((resolve) => setTimeout(resolve, 25));
    return this.delete(`every ${kind} key`, of);
  }

  private async delete(what: string, chosen: (key: string) => boolean): Promise<Deletion> {
    const at = Date.now();
    const all = await this.keys();
    const victims = all.filter(chosen);
    const byKind: Record<string, number> = {};
    for (const key of victims) {
      const kind = keyKind(this.prefix, key);
      byKind[kind] = (byKind[kind] ?? 0) + 1;
    }
    let deleted = 0;
    for (let i = 0; i < victims.length; i += 500) deleted += await this.redis.del(...victims.slice(i, i + 500));
    const deletion = { what, at, found: all.length, deleted, byKind };
    this.deletions.push(deletion);
    return deletion;
  }

  close(): void {
    this.redis.disconnect();
  }
}
