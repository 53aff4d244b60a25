import type { Logger } from "@topup/config";
import type { Redis } from "@topup/queue";

/**
 * Per-operator request rate, counted in Redis so that every ingress process shares one budget:
 * a fixed one-second window per operator and endpoint (a burst may reach twice the limit across a
 * window boundary). When Redis cannot answer, requests are let through: rate limiting protects the
 * platform, and must never be the reason an order is refused.
 */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  async allow(operatorUid: string, endpoint: string, limitPerSecond: number, requestId: string): Promise<boolean> {
    const key = `${this.prefix}:ratelimit:${operatorUid}:${endpoint}:${Math.floor(Date.now() / 1000)}`;
    try {
      const results = await this.redis.multi().incr(key).expire(key, 2).exec();
      const count = Number(results?.[0]?.[1] ?? 0);
      return count <= limitPerSecond;
    } catch (error) {
      this.logger.warn("rate limiter unavailable; letting the request through", { requestId, error: (error as Error).message });
      return true;
    }
  }
}
