/**
 * Routing (PROTOCOL §12) as pure functions: which route an order takes, and which of the route's
 * channels to place it with next. The state they read (routes, channels' health and balance,
 * the channels an order already tried) is loaded by the caller.
 */

export interface RouteEntry {
  code: string;
  tier: number;
  weight: number;
}

export interface RoutingRoute {
  id: string;
  /** The operator the route is for (resolved from its uid); null matches any. */
  operatorId: string | null;
  orderType: number | null;
  mobileType: number | null;
  faceValues: readonly number[] | null;
  priority: number;
  holdMs: number;
  channels: readonly RouteEntry[];
}

export interface RoutedOrder {
  operatorId: string;
  orderType: number;
  mobileType: number;
  faceValue: number;
}

/** What eligibility needs to know of a channel (PROTOCOL §12). */
export interface ChannelStanding {
  code: string;
  enabled: boolean;
  /** "open" refuses orders; "half_open" is probation: orders may go. */
  circuit: "closed" | "open" | "half_open";
  /** Orders in flight now and the most allowed (null: unlimited). */
  inFlight: number;
  concurrency: number | null;
  /** The last known balance (fen), for channels that report one; null: not known, not a reason to refuse. */
  balance: number | null;
}

/** With no route the order waits this long for its DEFAULT_CHANNEL, like a route's default hold. */
export const DEFAULT_HOLD_MS = 600_000;

function fieldsSet(route: RoutingRoute): number {
  return [route.operatorId, route.orderType, route.mobileType, route.faceValues].filter((v) => v !== null).length;
}

function matches(route: RoutingRoute, order: RoutedOrder): boolean {
  return (
    (route.operatorId === null || route.operatorId === order.operatorId) &&
    (route.orderType === null || route.orderType === order.orderType) &&
    (route.mobileType === null || route.mobileType === order.mobileType) &&
    (route.faceValues === null || route.faceValues.includes(order.faceValue))
  );
}

function byPrecedence(a: RoutingRoute, b: RoutingRoute): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const fields = fieldsSet(b) - fieldsSet(a);
  if (fields !== 0) return fields;
  const [x, y] = [BigInt(a.id), BigInt(b.id)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The enabled route that matches the order with the highest priority, then the most fields set,
 * then the lowest id; with none, DEFAULT_CHANNEL as a route of its own; null when neither exists.
 * `routes` holds the enabled routes only.
 */
export function routeFor(routes: readonly RoutingRoute[], order: RoutedOrder, defaultChannel: string): RoutingRoute | null {
  const matching = routes.filter((route) => matches(route, order)).sort(byPrecedence);
  if (matching.length > 0) return matching[0];
  if (defaultChannel === "") return null;
  return { id: "default", operatorId: null, orderType: null, mobileType: null, faceValues: null, priority: 0, holdMs: DEFAULT_HOLD_MS, channels: [{ code: defaultChannel, tier: 0, weight: 1 }] };
}

export function isEligible(channel: ChannelStanding | undefined, faceValue: number): channel is ChannelStanding {
  return (
    channel !== undefined &&
    channel.enabled &&
    channel.circuit !== "open" &&
    (channel.concurrency === null || channel.inFlight < channel.concurrency) &&
    (channel.balance === null || channel.balance >= faceValue)
  );
}

export type ChannelChoice = { code: string } | { wait: true } | { exhausted: true };

/**
 * The next channel for the order: tiers in ascending order, and within the first tier that has an
 * eligible channel not tried yet, one of those at random by weight. `wait` when untried channels
 * remain but none is eligible now; `exhausted` when every channel of the route was tried.
 */
export function chooseChannel(
  route: RoutingRoute,
  faceValue: number,
  standing: ReadonlyMap<string, ChannelStanding>,
  tried: ReadonlySet<string>,
  random: () => number = Math.random,
): ChannelChoice {
  const untried = route.channels.filter((entry) => !tried.has(entry.code));
  if (untried.length === 0) return { exhausted: true };
  const tiers = [...new Set(untried.map((entry) => entry.tier))].sort((a, b) => a - b);
  for (const tier of tiers) {
    const eligible = untried.filter((entry) => entry.tier === tier && isEligible(standing.get(entry.code), faceValue));
    if (eligible.length === 0) continue;
    const total = eligible.reduce((sum, entry) => sum + entry.weight, 0);
    let point = random() * total;
    for (const entry of eligible) {
      point -= entry.weight;
      if (point < 0) return { code: entry.code };
    }
    return { code: eligible[eligible.length - 1].code };
  }
  return { wait: true };
}
