export { Platform, type PlatformOptions } from "./platform";
export type { ProtocolAnswer, OperatorRequest } from "./answer";
export { OperatorApi, type OperatorApiDeps } from "./operator-api";
export { OperatorDirectory, type KnownOperator } from "./operator-directory";
export { Fulfilment, FulfilmentScheduler, nextStatus, pollDelayMs, type NotifyAnswer, type StepOutcome } from "./fulfilment";
export { CallbackDelivery, type DeliveryOutcome } from "./callback-delivery";
export { Reconciler, QUEUED_EXCUSE_MAX_MS, type ReconcileResult, type ReconcilerOptions } from "./reconciler";
export { AdminService, operatorView, type AdminAnswer, type AdminDeps, type CsvAnswer } from "./admin";
export { RateLimiter } from "./rate-limiter";
export { chooseChannel, isEligible, routeFor, DEFAULT_HOLD_MS, type ChannelChoice, type ChannelStanding, type RouteEntry, type RoutedOrder, type RoutingRoute } from "./routing";
export { nextCircuit, canMoveCircuit, successRate, CIRCUIT_TRANSITIONS, DEFAULT_CIRCUIT, type CallResult, type CircuitInput, type CircuitMove, type CircuitSettings, type CircuitState } from "./circuit-breaker";
export { ChannelHealth, MeasuredChannel, classifyPlace, classifyStatus, type ChannelHealthOptions, type HealthView } from "./channel-health";
export { HealthWindow, CallFigures, CallTally, latencyBucket, latencyPercentile, LATENCY_BOUNDS_MS, type OrderVerdict } from "./health-window";
export { BalancePoller, type BalancePoll, type BalancePollerOptions } from "./balance-poller";
export { ChannelDirectory, type ChannelDirectoryOptions, type ChannelSnapshot } from "./channel-directory";
export {
  ADJUSTMENT,
  AUDIT_QUERY,
  BULK_RESEND,
  CHANNEL_PATCH,
  KEY_ROTATION,
  LEDGER_QUERY,
  NEW_CHANNEL,
  NEW_OPERATOR,
  NEW_ROUTE,
  OPERATOR_PATCH,
  ORDER_FILTER_QUERY,
  ORDER_PAGE_QUERY,
  REPORT_QUERY,
  RESOLUTION,
  ROUTE_PATCH,
  STATEMENT_QUERY,
  TOGGLE,
  UNACKNOWLEDGED_QUERY,
  checkBody,
  checkQuery,
  requestJsonSchema,
} from "./admin-input";
