/**
 * A channel's circuit breaker (PROTOCOL §12: a channel is eligible while its circuit is closed or
 * on probation) as one explicit state machine, like the order's (@topup/protocol order-status):
 * pure functions over what the health monitor knows of a channel. Every transition it decides is
 * written as a conditional UPDATE on the state it was decided from (ChannelRepository.moveCircuit),
 * so two workers deciding the same one move the circuit once.
 *
 * What a call's result is (docs/channels.md, "Channel health"):
 * - "ok": the channel answered in the protocol — placed, held, refused, any known status, a
 *   definitive failure of that one order included: the channel works, the order did not;
 * - "error": the outcome is unknown — timeouts, resets, garbled or unsigned answers, thrown
 *   errors — or the channel is too busy to take it (HTTP 503/429).
 */

import type { CircuitState } from "@topup/db";

export type { CircuitState };
export type CallResult = "ok" | "error";

/**
 * open → closed is an administrator's reset (PATCH /admin/channels/:code {"circuit": "closed"});
 * the breaker itself only closes a circuit through probation.
 */
export const CIRCUIT_TRANSITIONS: Readonly<Record<CircuitState, readonly CircuitState[]>> = Object.freeze({
  closed: Object.freeze(["open"] as const),
  open: Object.freeze(["half_open", "closed"] as const),
  half_open: Object.freeze(["closed", "open"] as const),
});

export function canMoveCircuit(from: CircuitState, to: CircuitState): boolean {
  return CIRCUIT_TRANSITIONS[from].includes(to);
}

export interface CircuitSettings {
  /** closed → open after this many errors in a row (across processes). */
  consecutiveErrors: number;
  /** closed → open when fewer than this share of the window's calls were ok … */
  minSuccessRate: number;
  /** … once the window holds at least this many calls. */
  minCalls: number;
  /** The sliding window's length; it is kept in buckets of windowBucketMs. */
  windowMs: number;
  windowBucketMs: number;
  /** open → half_open this long after it opened. */
  coolDownMs: number;
  /** half_open → closed after this many ok calls with no error. */
  probationSuccesses: number;
}

export const DEFAULT_CIRCUIT: Readonly<CircuitSettings> = Object.freeze({
  consecutiveErrors: 5,
  minSuccessRate: 0.5,
  minCalls: 20,
  windowMs: 60_000,
  windowBucketMs: 10_000,
  coolDownMs: 30_000,
  probationSuccesses: 3,
});

/** What the breaker decides from: the channel's row after this process's figures were added to it. */
export interface CircuitInput {
  state: CircuitState;
  openedAt: Date | null;
  /** Errors since the last ok call, every process's. */
  consecutiveErrors: number;
  /** Ok calls since the last error, every process's (reset when the circuit goes half-open). */
  consecutiveOks: number;
  /** The sliding window (every process's calls); null when it cannot be read (Redis down). */
  window: { calls: number; errors: number } | null;
  /** Errors among the calls this process just reported. */
  newErrors: number;
}

export interface CircuitMove {
  from: CircuitState;
  to: CircuitState;
  reason: string;
}

/** The share of ok calls, or null with no calls. */
export function successRate(calls: number, errors: number): number | null {
  return calls === 0 ? null : (calls - errors) / calls;
}

/** The move the breaker makes now, or null when the circuit stays as it is. */
export function nextCircuit(input: CircuitInput, now: number, settings: CircuitSettings = DEFAULT_CIRCUIT): CircuitMove | null {
  const move = (to: CircuitState, reason: string): CircuitMove => ({ from: input.state, to, reason });
  switch (input.state) {
    case "closed": {
      if (input.consecutiveErrors >= settings.consecutiveErrors) return move("open", `${input.consecutiveErrors} consecutive errors`);
      const window = input.window;
      const rate = window ? successRate(window.calls, window.errors) : null;
      if (window && rate !== null && window.calls >= settings.minCalls && rate < settings.minSuccessRate) {
        return move("open", `success rate ${(rate * 100).toFixed(1)} % over ${window.calls} calls`);
      }
      return null;
    }
    case "open":
      // No opening time (a row set by hand): the cool-down counts as over.
      if (input.openedAt === null || now >= input.openedAt.getTime() + settings.coolDownMs) return move("half_open", "cool-down over: probation");
      return null;
    case "half_open":
      if (input.newErrors > 0) return move("open", "error on probation");
      if (input.consecutiveOks >= settings.probationSuccesses) return move("closed", `${input.consecutiveOks} ok calls on probation`);
      return null;
  }
}
