export type { RechargeChannel, ChannelKind, ChannelOrder, ChannelNotification, PlaceResult, ChannelStatus, LastSeen, SupplierAnswer } from "./channel";
export { SimulatorChannel, simulatorOrderNo } from "./simulator";
export { ManualChannel } from "./manual";
export { UpstreamChannel, UPSTREAM_FIRST_QUERY_MS, classifyPush, classifyQuery, type UpstreamConfig } from "./upstream";
