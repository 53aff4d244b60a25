export type { RechargeChannel, ChannelOrder, PlaceResult, ChannelStatus, LastSeen } from "./channel";
export { SimulatorChannel, simulatorOrderNo } from "./simulator";
