export { loadConfig, logLevelOf, ConfigError, LOG_LEVELS, type PlatformConfig } from "./config";
export { createLogger, maskPhone, redact, type Logger } from "./logger";
