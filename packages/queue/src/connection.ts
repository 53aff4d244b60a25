import IORedis, { type RedisOptions } from "ioredis";

/**
 * Redis connections for BullMQ. Workers block on Redis and must never give up a command
 * (`maxRetriesPerRequest: null`, which BullMQ requires); producers in the ingress fail fast
 * instead, so that a Redis outage never holds up an operator's request — the order is already in
 * PostgreSQL and the worker's reconciler enqueues it once Redis is back.
 */
export function createWorkerConnection(redisUrl: string, options: RedisOptions = {}): IORedis {
  return new IORedis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}

export function createProducerConnection(redisUrl: string, options: RedisOptions = {}): IORedis {
  return new IORedis(redisUrl, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    ...options,
  });
}

export type { IORedis as Redis };
