/**
 * Errors raised by the network guards, and the mapping of any request failure to the short
 * reason stored with a callback attempt. Reasons come from error codes and our own messages only,
 * never from request data (the callback body carries a signature).
 */

/** A connection was refused because its address is not an allowed callback destination. */
export class RefusedDestinationError extends Error {
  override readonly name = "RefusedDestinationError";
  readonly code = "ERR_REFUSED_DESTINATION";
  constructor(readonly address: string) {
    super(`refused destination ${address}`);
  }
}

/** Name resolution did not answer in time. */
export class LookupTimeoutError extends Error {
  override readonly name = "LookupTimeoutError";
  readonly code = "ETIMEOUT";
  constructor(readonly hostname: string, readonly timeoutMs: number) {
    super(`dns lookup timeout after ${timeoutMs} ms`);
  }
}

const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** Wrapper codes that say less than the error they wrap. */
const GENERIC_CODES = new Set(["ERR_NETWORK", "ERR_BAD_RESPONSE", "ERR_BAD_REQUEST", "ERR_BAD_OPTION", "ERR_BAD_OPTION_VALUE"]);

/** Short reason for a failed exchange: our guard's message, else the innermost error code. */
export function describeError(err: unknown): string {
  let best: string | null = null;
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === "object" && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    if (current instanceof RefusedDestinationError || current instanceof LookupTimeoutError) return current.message;
    const { code, errors, cause } = current as { code?: unknown; errors?: unknown; cause?: unknown };
    if (typeof code === "string" && CODE.test(code) && !(best && GENERIC_CODES.has(code))) best = code;
    // Happy-eyeballs failures arrive as an AggregateError of per-address errors.
    current = cause ?? (Array.isArray(errors) && errors.length > 0 ? errors[0] : undefined);
  }
  if (best && !GENERIC_CODES.has(best)) return best;
  if (err instanceof Error && err.message) return err.message.slice(0, 120);
  return best ?? "request failed";
}
