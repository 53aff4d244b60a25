export { createDatabase, Database, type DatabaseOptions } from "./client";
export { migrate, readMigrations, MigrationError, DEFAULT_MIGRATIONS_DIR, type MigrateResult } from "./migrate";
export * from "./records";
export { OrderRepository, IllegalTransitionError, type NewOrder, type InsertOutcome, type TransitionPatch, type TransitionStep } from "./order-repository";
export { OperatorRepository, DuplicateOperatorError, type NewOperator, type OperatorPatch } from "./operator-repository";
export { LedgerRepository, type BalanceSnapshot, type Adjustment } from "./ledger-repository";
export { CallbackRepository, type CallbackAttemptInput, type CallbackDelivery } from "./callback-repository";
export { AuditRepository, type AuditEvent } from "./audit-repository";
export { isDatabaseUnavailable } from "./errors";
