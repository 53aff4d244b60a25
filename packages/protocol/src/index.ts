/** @topup/protocol — the operator wire protocol (PROTOCOL.md) as pure functions. */
export * from "./messages";
export * from "./json";
export * from "./content-type";
export * from "./body";
export * from "./fields";
export * from "./signature";
export * from "./envelope";
export * from "./order-status";
export * from "./callback";
export * from "./carrier";
export * from "./billing";
export * from "./catalogue";
export * from "./memo";
