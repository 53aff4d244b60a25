export { loadConfig, logLevelOf, ConfigError, LOG_LEVELS, type PlatformConfig } from "./config";
export { createLogger, maskPhone, redact, type Logger } from "./logger";
export { runService, START_WAIT_MS, type Stoppable } from "./service";
