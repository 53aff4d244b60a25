/** @topup/net — network policy and the guarded HTTP client that delivers callbacks. */
export { isPublicUnicast, normalizeIp } from "./address";
export { AddressMatcher, InvalidAddressError, isValidAddressOrCidr } from "./address-matcher";
export { resolveClientIp } from "./client-ip";
export { checkCallbackUrl, isAllowedDestination, type LookupAll } from "./destination";
export { CallbackHttpClient, type CallbackHttpClientOptions, type DeliveryResult } from "./callback-http";
export { AXIOS_SOCKET_KEEP_ALIVE_MS } from "./guarded-agent";
export { SlotsClosedError } from "./slots";
export { drainedOrClosed } from "./drain";
