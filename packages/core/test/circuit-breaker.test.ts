import fc from "fast-check";
import { canMoveCircuit, CIRCUIT_TRANSITIONS, DEFAULT_CIRCUIT, nextCircuit, successRate, type CircuitInput, type CircuitState } from "../src/circuit-breaker";

// A channel's circuit breaker (docs/channels.md): the transition table and the decisions, pure.
const T0 = Date.parse("2026-12-06T08:00:00.000Z");
const input = (fields: Partial<CircuitInput> = {}): CircuitInput => ({
  state: "closed",
  openedAt: null,
  consecutiveErrors: 0,
  consecutiveOks: 0,
  window: { calls: 0, errors: 0 },
  newErrors: 0,
  ...fields,
});

describe("the transition table", () => {
  it("has every state, and only the documented edges", () => {
    expect(CIRCUIT_TRANSITIONS).toEqual({ closed: ["open"], open: ["half_open", "closed"], half_open: ["closed", "open"] });
    expect(canMoveCircuit("closed", "half_open")).toBe(false); // a closed circuit never goes straight to probation
    expect(canMoveCircuit("closed", "closed")).toBe(false);
    expect(canMoveCircuit("half_open", "open")).toBe(true);
  });

  it("is frozen", () => {
    expect(Object.isFrozen(CIRCUIT_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(CIRCUIT_TRANSITIONS.closed)).toBe(true);
    expect(Object.isFrozen(DEFAULT_CIRCUIT)).toBe(true);
  });

  it("has the issue's defaults: 5 errors in a row, 50 % over at least 20 calls in 60 s, 30 s cool-down, 3 probation successes", () => {
    expect(DEFAULT_CIRCUIT).toEqual({ consecutiveErrors: 5, minSuccessRate: 0.5, minCalls: 20, windowMs: 60_000, windowBucketMs: 10_000, coolDownMs: 30_000, probationSuccesses: 3 });
  });

  it("only ever decides moves the table allows (any input)", () => {
    const state = fc.constantFrom<CircuitState>("closed", "open", "half_open");
    fc.assert(
      fc.property(state, fc.nat(50), fc.nat(50), fc.nat(200), fc.nat(200), fc.nat(5), fc.integer({ min: -60_000, max: 60_000 }), (s, errors, oks, calls, windowErrors, newErrors, age) => {
        const move = nextCircuit(
          input({ state: s, openedAt: new Date(T0 - age), consecutiveErrors: errors, consecutiveOks: oks, window: { calls, errors: Math.min(windowErrors, calls) }, newErrors }),
          T0,
        );
        if (move) {
          expect(move.from).toBe(s);
          expect(canMoveCircuit(move.from, move.to)).toBe(true);
          if (s === "open") expect(move.to).toBe("half_open"); // the breaker never closes an open circuit: an administrator does
        }
      }),
    );
  });
});

describe("closed", () => {
  it("opens on 5 consecutive errors, not on 4", () => {
    expect(nextCircuit(input({ consecutiveErrors: 4 }), T0)).toBeNull();
    expect(nextCircuit(input({ consecutiveErrors: 5 }), T0)).toEqual({ from: "closed", to: "open", reason: "5 consecutive errors" });
  });

  it("opens when the window's success rate falls below 50 % over at least 20 calls", () => {
    expect(nextCircuit(input({ window: { calls: 20, errors: 11 } }), T0)).toEqual({ from: "closed", to: "open", reason: "success rate 45.0 % over 20 calls" });
    expect(nextCircuit(input({ window: { calls: 20, errors: 10 } }), T0)).toBeNull(); // exactly 50 % is not below it
    expect(nextCircuit(input({ window: { calls: 19, errors: 19 } }), T0)).toBeNull(); // too few calls to judge
  });

  it("goes by consecutive errors alone when the window cannot be read", () => {
    expect(nextCircuit(input({ window: null }), T0)).toBeNull();
    expect(nextCircuit(input({ window: null, consecutiveErrors: 5 }), T0)?.to).toBe("open");
  });

  it("takes other thresholds", () => {
    const settings = { ...DEFAULT_CIRCUIT, consecutiveErrors: 2, minCalls: 4, minSuccessRate: 0.9 };
    expect(nextCircuit(input({ consecutiveErrors: 2 }), T0, settings)?.to).toBe("open");
    expect(nextCircuit(input({ window: { calls: 4, errors: 1 } }), T0, settings)?.to).toBe("open");
  });
});

describe("open", () => {
  const opened = (ago: number) => input({ state: "open", openedAt: new Date(T0 - ago), consecutiveErrors: 9, window: { calls: 100, errors: 100 } });

  it("stays open for the 30 s cool-down, whatever the calls (queries of orders it holds go on)", () => {
    expect(nextCircuit(opened(29_999), T0)).toBeNull();
    expect(nextCircuit({ ...opened(29_999), consecutiveOks: 50, newErrors: 0 }, T0)).toBeNull();
  });

  it("goes half-open (probation) once the cool-down is over", () => {
    expect(nextCircuit(opened(30_000), T0)).toEqual({ from: "open", to: "half_open", reason: "cool-down over: probation" });
  });

  it("takes an open circuit without an opening time (set by hand) as cooled down", () => {
    expect(nextCircuit(input({ state: "open", openedAt: null }), T0)?.to).toBe("half_open");
  });
});

describe("half_open", () => {
  const probation = (fields: Partial<CircuitInput>) => input({ state: "half_open", openedAt: new Date(T0 - 40_000), ...fields });

  it("closes after 3 ok calls on probation, not 2", () => {
    expect(nextCircuit(probation({ consecutiveOks: 2 }), T0)).toBeNull();
    expect(nextCircuit(probation({ consecutiveOks: 3 }), T0)).toEqual({ from: "half_open", to: "closed", reason: "3 ok calls on probation" });
  });

  it("opens again on an error, even after ok calls", () => {
    expect(nextCircuit(probation({ consecutiveOks: 5, newErrors: 1 }), T0)).toEqual({ from: "half_open", to: "open", reason: "error on probation" });
  });

  it("ignores the window: it still holds the calls that opened the circuit", () => {
    expect(nextCircuit(probation({ window: { calls: 100, errors: 100 } }), T0)).toBeNull();
  });
});

describe("successRate", () => {
  it("is the share of ok calls, null without calls", () => {
    expect(successRate(0, 0)).toBeNull();
    expect(successRate(4, 1)).toBe(0.75);
    expect(successRate(3, 3)).toBe(0);
  });
});
