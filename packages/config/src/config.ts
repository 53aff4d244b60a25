/** The platform's environment, read once at start-up. Names are fixed by PROTOCOL.md §11. */
export interface PlatformConfig {
  port: number;
  adminPort: number;
  adminHost: string;
  /** Empty means the admin API answers 401 to everything. */
  adminToken: string;
  databaseUrl: string;
  redisUrl: string;
  /** Isolates several platform instances (or test runs) on one Redis. */
  queuePrefix: string;
  /** Raw comma-separated CIDRs; parsed by @topup/net. */
  callbackAllowedCidrs: string;
  callbackBackoffMs: number;
  simulatorStepMs: number;
  /** The channel code used when no route matches an order; "" (the default): none, such orders fail (无可用渠道). */
  defaultChannel: string;
  /** How suppliers reach this platform: the base of the notify_url given to upstream channels. */
  publicBaseUrl: string;
  /** Raw comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed. */
  trustedProxies: string;
  /** LOG_LEVEL: the least severe of LOG_LEVELS written (default info). */
  logLevel: string;
  /** The worker's own HTTP server: /metrics, /healthz, /readyz (0: any free port). */
  workerMetricsPort: number;
  workerMetricsHost: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === "") return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function text(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  return raw === undefined || raw === "" ? fallback : raw;
}

/** winston's levels, most severe first. */
export const LOG_LEVELS = ["error", "warn", "info", "http", "verbose", "debug", "silly"] as const;

/**
 * LOG_LEVEL as a winston level (in any case; unset or empty: info), or null when it names none:
 * winston given an unknown level writes nothing at all, so one must never reach it.
 */
export function logLevelOf(raw: string | undefined): string | null {
  const level = (raw?.trim() || "info").toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? level : null;
}

function logLevel(env: Env): string {
  const level = logLevelOf(env.LOG_LEVEL);
  if (level === null) throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got "${env.LOG_LEVEL}"`);
  return level;
}

function channelCode(env: Env, name: string): string {
  const raw = text(env, name, "");
  if (raw !== "" && !/^[a-z0-9_-]{1,32}$/.test(raw)) throw new ConfigError(`${name} must be a channel code (1-32 of a-z 0-9 _ -), got "${raw}"`);
  return raw;
}

function baseUrl(env: Env, name: string, fallback: string): string {
  const raw = text(env, name, fallback).replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  return raw;
}

export function loadConfig(env: Env = process.env): PlatformConfig {
  return {
    port: integer(env, "PORT", 8088, 0, 65535),
    adminPort: integer(env, "ADMIN_PORT", 8089, 0, 65535),
    adminHost: text(env, "ADMIN_HOST", "127.0.0.1"),
    workerMetricsPort: integer(env, "WORKER_METRICS_PORT", 8090, 0, 65535),
    workerMetricsHost: text(env, "WORKER_METRICS_HOST", "127.0.0.1"),
    adminToken: env.ADMIN_TOKEN?.trim() ?? "",
    databaseUrl: text(env, "DATABASE_URL", "postgresql://root@127.0.0.1:5432/topup"),
    redisUrl: text(env, "REDIS_URL", "redis://127.0.0.1:6379"),
    queuePrefix: text(env, "QUEUE_PREFIX", "topup"),
    callbackAllowedCidrs: text(env, "CALLBACK_ALLOWED_CIDRS", ""),
    callbackBackoffMs: integer(env, "CALLBACK_BACKOFF_MS", 5000, 0, 3_600_000),
    simulatorStepMs: integer(env, "SIMULATOR_STEP_MS", 200, 0, 3_600_000),
    defaultChannel: channelCode(env, "DEFAULT_CHANNEL"),
    publicBaseUrl: baseUrl(env, "PUBLIC_BASE_URL", `http://127.0.0.1:${integer(env, "PORT", 8088, 0, 65535)}`),
    trustedProxies: text(env, "TRUSTED_PROXIES", ""),
    logLevel: logLevel(env),
  };
}
