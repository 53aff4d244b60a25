/**
 * Guards for numbers that go onto the wire as decimal text. A non-safe integer would print
 * as `1e+21` or lose digits, silently breaking signatures: that is a programming error, so throw.
 */
export function assertSafeInteger(name: string, n: number): void {
  if (!Number.isSafeInteger(n)) throw new TypeError(`${name} must be a safe integer, got ${String(n)}`);
}

export function assertNonNegativeSafeInteger(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new TypeError(`${name} must be a non-negative safe integer, got ${String(n)}`);
  }
}
