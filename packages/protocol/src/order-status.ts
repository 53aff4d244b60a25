/**
 * The order lifecycle of PROTOCOL §6 as one explicit state machine. Every status change in the
 * platform is checked against TRANSITIONS, so "never backwards" and "terminal never changes"
 * hold by construction rather than by convention.
 */
export const OrderStatus = {
  Created: 5,
  Placing: 6,
  Unpaid: 0,
  Paying: 2,
  Succeeded: 4,
  TimedOut: 1,
  Returned: 9,
  Failed: 10,
} as const;

export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const STATUS_NAMES: Readonly<Record<OrderStatus, string>> = Object.freeze({
  5: "订单生成",
  6: "网厅下单中",
  0: "未支付",
  2: "网厅支付中",
  4: "充值成功",
  1: "超时未付",
  9: "退回运营商",
  10: "充值失败",
});

const S = OrderStatus;

// The one backward edge, `6 | 0 | 2 → 6`, is failover (PROTOCOL §12): placing with the next channel
// after the current one answered a definitive failure. It always changes the order's channel
// (FAILOVER_EDGES; the repository checks the channel the move was decided for).
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = Object.freeze({
  // 5 → 10: no channel can take the order (无可用渠道: no route, or none eligible within the hold time).
  [S.Created]: Object.freeze([S.Placing, S.Failed]),
  [S.Placing]: Object.freeze([S.Unpaid, S.Failed, S.Placing]),
  [S.Unpaid]: Object.freeze([S.Paying, S.TimedOut, S.Failed, S.Placing]),
  [S.Paying]: Object.freeze([S.Succeeded, S.Failed, S.Placing]),
  // 超时未付 is not terminal: the order is then returned to the operator.
  [S.TimedOut]: Object.freeze([S.Returned]),
  [S.Succeeded]: Object.freeze([]),
  [S.Returned]: Object.freeze([]),
  [S.Failed]: Object.freeze([]),
});

const ALL: ReadonlySet<number> = new Set(Object.values(OrderStatus));

export function isOrderStatus(n: number): n is OrderStatus {
  return ALL.has(n);
}

/** Whether from → to is the failover edge (to another channel), not a step forward. */
export function isFailover(from: OrderStatus, to: OrderStatus): boolean {
  return to === S.Placing && from !== S.Created && canTransition(from, to);
}

export function isTerminal(s: OrderStatus): boolean {
  return TRANSITIONS[s].length === 0;
}

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return isOrderStatus(from) && TRANSITIONS[from].includes(to);
}

/** The callback `status` field (PROTOCOL §7) for a terminal status; null while the order is open. */
export function callbackStatusOf(s: OrderStatus): 4 | 9 | 10 | null {
  switch (s) {
    case S.Succeeded:
    case S.Returned:
    case S.Failed:
      return s;
    default:
      return null;
  }
}
