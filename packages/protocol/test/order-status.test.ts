import {
  callbackStatusOf,
  canTransition,
  isFailover,
  isOrderStatus,
  isTerminal,
  OrderStatus,
  STATUS_NAMES,
  TRANSITIONS,
} from "../src";

const ALL = Object.values(OrderStatus) as OrderStatus[];
const S = OrderStatus;

/** PROTOCOL §6 as a list of allowed moves; everything else is forbidden. */
const ALLOWED: ReadonlyArray<readonly [OrderStatus, OrderStatus]> = [
  [S.Created, S.Placing],
  [S.Created, S.Failed], // 无可用渠道 (PROTOCOL §12)
  [S.Placing, S.Unpaid],
  [S.Placing, S.Failed],
  [S.Unpaid, S.Paying],
  [S.Unpaid, S.TimedOut],
  [S.Unpaid, S.Failed],
  [S.Paying, S.Succeeded],
  [S.Paying, S.Failed],
  [S.TimedOut, S.Returned],
  // Failover to the next channel (PROTOCOL §12): the one backward edge.
  [S.Placing, S.Placing],
  [S.Unpaid, S.Placing],
  [S.Paying, S.Placing],
];
const isAllowed = (from: OrderStatus, to: OrderStatus) => ALLOWED.some(([f, t]) => f === from && t === to);

describe("statuses", () => {
  test("ids match the document", () => {
    expect(OrderStatus).toEqual({ Created: 5, Placing: 6, Unpaid: 0, Paying: 2, Succeeded: 4, TimedOut: 1, Returned: 9, Failed: 10 });
  });

  test("names match the document", () => {
    expect(STATUS_NAMES).toEqual({
      5: "订单生成",
      6: "网厅下单中",
      0: "未支付",
      2: "网厅支付中",
      4: "充值成功",
      1: "超时未付",
      9: "退回运营商",
      10: "充值失败",
    });
  });

  test("isOrderStatus", () => {
    for (const s of ALL) expect(isOrderStatus(s)).toBe(true);
    for (const n of [3, 7, 8, 11, -1, 0.5, Number.NaN, 4.0000001]) expect(isOrderStatus(n)).toBe(false);
  });

  test("terminal statuses are exactly 4, 9 and 10 (1 is not: it goes on to 9)", () => {
    expect(ALL.filter(isTerminal).sort((a, b) => a - b)).toEqual([4, 9, 10]);
    expect(isTerminal(S.TimedOut)).toBe(false);
  });

  test("the tables are frozen", () => {
    expect(Object.isFrozen(TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(TRANSITIONS[S.Created])).toBe(true);
    expect(Object.isFrozen(STATUS_NAMES)).toBe(true);
  });
});

describe("transitions", () => {
  test("the table is exactly the documented one", () => {
    expect(TRANSITIONS).toEqual({ 5: [6, 10], 6: [0, 10, 6], 0: [2, 1, 10, 6], 2: [4, 10, 6], 1: [9], 4: [], 9: [], 10: [] });
  });

  const pairs = ALL.flatMap((from) => ALL.map((to) => [from, to] as const));
  test.each(pairs)("%p → %p", (from, to) => {
    expect(canTransition(from, to)).toBe(isAllowed(from, to));
  });

  test("no status moves to itself but 6, to another channel", () => {
    for (const s of ALL) expect(canTransition(s, s)).toBe(s === S.Placing);
  });

  test("the failover edges are exactly 6 | 0 | 2 → 6", () => {
    const failovers = ALL.flatMap((from) => ALL.filter((to) => isFailover(from, to)).map((to) => [from, to]));
    expect(failovers).toEqual([
      [S.Placing, S.Placing],
      [S.Unpaid, S.Placing],
      [S.Paying, S.Placing],
    ]);
  });

  test("a terminal status never moves", () => {
    for (const from of ALL.filter(isTerminal)) for (const to of ALL) expect(canTransition(from, to)).toBe(false);
  });

  test("nothing ever goes back to 订单生成", () => {
    for (const from of ALL) expect(canTransition(from, S.Created)).toBe(false);
  });

  test("without the failover edges the graph has no cycle, so no other path ever moves backwards", () => {
    // Depth-first search from every status: reaching the start again would be a cycle.
    const forward = (s: OrderStatus) => TRANSITIONS[s].filter((to) => !isFailover(s, to));
    for (const start of ALL) {
      const seen = new Set<OrderStatus>();
      const stack = [...forward(start)];
      while (stack.length > 0) {
        const s = stack.pop()!;
        expect(s).not.toBe(start);
        if (seen.has(s)) continue;
        seen.add(s);
        stack.push(...forward(s));
      }
    }
  });

  test("every non-terminal status can reach a terminal one", () => {
    for (const start of ALL.filter((s) => !isTerminal(s))) {
      const seen = new Set<OrderStatus>([start]);
      const queue = [start];
      let reached = false;
      while (queue.length > 0 && !reached) {
        for (const next of TRANSITIONS[queue.shift()!]) {
          if (isTerminal(next)) reached = true;
          if (!seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      expect(reached).toBe(true);
    }
  });

  test("every status is reachable from 订单生成", () => {
    const seen = new Set<OrderStatus>([S.Created]);
    const queue: OrderStatus[] = [S.Created];
    while (queue.length > 0) for (const n of TRANSITIONS[queue.shift()!]) if (!seen.has(n)) seen.add(n), queue.push(n);
    expect([...seen].sort((a, b) => a - b)).toEqual([...ALL].sort((a, b) => a - b));
  });

  test("the simulator's documented paths are allowed (PROTOCOL §10)", () => {
    const paths: OrderStatus[][] = [
      [5, 6, 0, 2, 4],
      [5, 6, 0, 10],
      [5, 6, 0, 1, 9],
      [5, 6, 0, 2],
    ];
    for (const path of paths) for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1]!, path[i]!)).toBe(true);
  });

  test("statuses outside the machine never transition", () => {
    expect(canTransition(3 as OrderStatus, S.Placing)).toBe(false);
    expect(canTransition(S.Created, 3 as OrderStatus)).toBe(false);
  });
});

describe("callbackStatusOf", () => {
  test("terminal statuses call back with themselves", () => {
    expect(callbackStatusOf(S.Succeeded)).toBe(4);
    expect(callbackStatusOf(S.Returned)).toBe(9);
    expect(callbackStatusOf(S.Failed)).toBe(10);
  });
  test("open statuses (including 超时未付) have no callback", () => {
    for (const s of [S.Created, S.Placing, S.Unpaid, S.Paying, S.TimedOut]) expect(callbackStatusOf(s)).toBeNull();
  });
  test("exactly the terminal statuses have a callback status", () => {
    for (const s of ALL) expect(callbackStatusOf(s) !== null).toBe(isTerminal(s));
  });
});
