export { loadConfig, ConfigError, type PlatformConfig } from "./config";
export { createLogger, maskPhone, redact, type Logger } from "./logger";
