import winston from "winston";
import { logLevelOf } from "./config";

/**
 * JSON logs for both services. Secrets (md5 keys, signs, tokens) never reach a log line and phone
 * numbers are masked, whichever field or message they travel in: redaction happens here, once, in
 * the logger's format, not at every call site.
 */
export type Logger = winston.Logger;

const SECRET_KEYS = new Set([
  "md5key", "md5_key", "key", "sign", "token", "admintoken", "authorization", "password", "secret",
]);

// A mainland mobile number standing alone (not inside a longer digit run such as a serial number).
const PHONE_IN_TEXT = /(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)/g;

export function maskPhone(phone: string): string {
  return phone.replace(PHONE_IN_TEXT, "$1****$2");
}

function redactValue(key: string, value: unknown, depth: number): unknown {
  const lower = key.toLowerCase();
  if (SECRET_KEYS.has(lower)) return "[redacted]";
  if (typeof value === "string") return maskPhone(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: maskPhone(value.message) };
  if (Array.isArray(value)) return value.map((v) => redactValue("", v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(k, v, depth + 1);
  return out;
}

export const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    (info as Record<string, unknown>)[key] = redactValue(key, info[key], 0);
  }
  return info;
});

/**
 * A service's logger, at LOG_LEVEL by default. A LOG_LEVEL naming no level gives info here, so that
 * loadConfig's refusal of it is still written.
 */
export function createLogger(service: string, level = logLevelOf(process.env.LOG_LEVEL) ?? "info"): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { service },
    format: winston.format.combine(winston.format.timestamp(), redact(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn"] })],
  });
}
