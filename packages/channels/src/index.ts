export type { RechargeChannel, ChannelKind, ChannelOrder, ChannelNotification, PlaceResult, ChannelStatus, LastSeen, SupplierAnswer } from "./channel";
export { SimulatorChannel, simulatorOrderNo } from "./simulator";
export { ManualChannel } from "./manual";
