import type { OperatorRecord, OperatorRepository } from "@topup/db";
import { AddressMatcher } from "@topup/net";

export interface KnownOperator extends OperatorRecord {
  whitelist: AddressMatcher;
}

/**
 * Operator lookups on the request path, cached per process for `ttlMs`. Every ingress process
 * re-reads an operator at least once per TTL, so an administrator's change (key rotation,
 * disabling, whitelist) is seen everywhere within that time without any cross-process signalling.
 * Concurrent misses for one uid share a single database read; unknown uids are cached too, so a
 * flood of bogus uids costs one read per uid per TTL.
 */
export class OperatorDirectory {
  private readonly entries = new Map<string, { operator: KnownOperator | null; expiresAt: number }>();
  private readonly inflight = new Map<string, Promise<KnownOperator | null>>();

  constructor(
    private readonly operators: OperatorRepository,
    private readonly ttlMs = 1_000,
    private readonly maxEntries = 10_000,
  ) {}

  async get(uid: string): Promise<KnownOperator | null> {
    const cached = this.entries.get(uid);
    if (cached && cached.expiresAt > Date.now()) return cached.operator;
    let pending = this.inflight.get(uid);
    if (!pending) {
      pending = this.load(uid).finally(() => this.inflight.delete(uid));
      this.inflight.set(uid, pending);
    }
    return pending;
  }

  /** Drops a uid so that this process re-reads it now (used by the admin API in the same process). */
  forget(uid: string): void {
    this.entries.delete(uid);
  }

  private async load(uid: string): Promise<KnownOperator | null> {
    const record = await this.operators.findByUid(uid);
    const operator = record ? { ...record, whitelist: AddressMatcher.parse(record.ipWhitelist) } : null;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(uid, { operator, expiresAt: Date.now() + this.ttlMs });
    return operator;
  }
}
