/**
 * Keep-alive agents that can only connect to allowed callback destinations.
 *
 * The agents' `lookup` resolves the host itself and fails the connection unless every answer
 * is allowed, so the address that was checked is the address that is dialled (no DNS-rebinding
 * window between a check and a second resolution). Node does not call `lookup` for IP-literal
 * hosts, so callers must check those before dialling; as a last line every new socket's peer
 * address is checked on connect, before any request byte is written.
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { AddressMatcher } from "./address-matcher";
import { isAllowedDestination } from "./destination";
import { RefusedDestinationError } from "./errors";
import { lookupWithTimeout, type LookupAll } from "./lookup";

/** The overall request deadline bounds resolution too; this only stops a stuck resolver early. */
const LOOKUP_TIMEOUT_MS = 5_000;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export function guardedLookup(allowed: AddressMatcher, lookupAll: LookupAll): net.LookupFunction {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    lookupWithTimeout(lookupAll, hostname, LOOKUP_TIMEOUT_MS).then(
      (answers) => {
        const refused = answers.find((a) => !isAllowedDestination(a, allowed));
        if (refused !== undefined) return callback(new RefusedDestinationError(refused), "");
        let usable: LookupAddress[] = answers.map((address) => ({ address, family: net.isIPv6(address) ? 6 : 4 }));
        if (options.family === 4 || options.family === 6) usable = usable.filter((a) => a.family === options.family);
        if (usable.length === 0) {
          return callback(Object.assign(new Error(`no usable address for ${hostname}`), { code: "ENOTFOUND" }), "");
        }
        // With `all` (happy eyeballs, on by default in Node 20) net wants the list, otherwise one address.
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ""),
    );
  };
}

/** Destroys a new socket on connect unless its peer is an allowed destination. */
function guardSocket(socket: Duplex | null | undefined, allowed: AddressMatcher): void {
  if (!(socket instanceof net.Socket)) return;
  // Prepended so it runs before the listeners that flush queued request bytes or start TLS.
  socket.prependOnceListener("connect", () => {
    const peer = socket.remoteAddress; // also caches the peer name for later reporting
    if (!peer || !isAllowedDestination(peer, allowed)) {
      socket.destroy(new RefusedDestinationError(peer ?? "unknown"));
    }
  });
}

export interface GuardedAgentOptions {
  allowed: AddressMatcher;
  lookup: LookupAll;
  maxSockets?: number;
}

/** Connections per operator host (the agents' maxSockets). */
export const MAX_SOCKETS_PER_HOST = 64;

/**
 * axios's http adapter calls socket.setKeepAlive(true, 60_000) on each request's socket. An agent
 * with the same keepAliveMsecs leaves Node nothing to change there, which spares two setsockopt
 * calls per request: every keep-alive agent behind axios uses it.
 */
export const AXIOS_SOCKET_KEEP_ALIVE_MS = 60_000;

function agentOptions(opts: GuardedAgentOptions): http.AgentOptions {
  const maxSockets = opts.maxSockets ?? MAX_SOCKETS_PER_HOST;
  return {
    keepAlive: true,
    maxSockets,
    maxTotalSockets: maxSockets * 8,
    // As many idle sockets per operator host as busy ones: with fewer, every burst of callbacks
    // closes the surplus and dials it again.
    maxFreeSockets: maxSockets,
    keepAliveMsecs: AXIOS_SOCKET_KEEP_ALIVE_MS,
    lookup: guardedLookup(opts.allowed, opts.lookup),
  };
}

export class GuardedHttpAgent extends http.Agent {
  constructor(private readonly guard: GuardedAgentOptions) {
    super(agentOptions(guard));
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    guardSocket(socket, this.guard.allowed);
    return socket;
  }
}

export class GuardedHttpsAgent extends https.Agent {
  constructor(private readonly guard: GuardedAgentOptions) {
    super(agentOptions(guard));
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const socket = super.createConnection(options, callback);
    guardSocket(socket, this.guard.allowed);
    return socket;
  }
}
