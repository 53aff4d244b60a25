export { Platform, type PlatformOptions } from "./platform";
export type { ProtocolAnswer, OperatorRequest } from "./answer";
export { OperatorApi, type OperatorApiDeps } from "./operator-api";
export { OperatorDirectory, type KnownOperator } from "./operator-directory";
export { Fulfilment, FulfilmentScheduler, nextStatus, pollDelayMs, type StepOutcome } from "./fulfilment";
export { CallbackDelivery, type DeliveryOutcome } from "./callback-delivery";
export { Reconciler, QUEUED_EXCUSE_MAX_MS, type ReconcileResult, type ReconcilerOptions } from "./reconciler";
export { AdminService, operatorView, type AdminAnswer, type AdminDeps } from "./admin";
export { RateLimiter } from "./rate-limiter";
