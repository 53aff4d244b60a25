import { Prisma } from "./generated/prisma/client";

/**
 * True for errors that mean "the database could not be reached or is restarting" rather than "the
 * statement was wrong". Used to choose a log level; either way nothing was committed.
 */
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "57P01", "57P02", "57P03", "53300"]);

export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"))) return true;
    const message = String((e as { message?: unknown }).message ?? "");
    if (/ECONNREFUSED|Connection terminated|connection timeout|timeout exceeded when trying to connect|the database system is (starting up|shutting down)/i.test(message)) {
      return true;
    }
  }
  return false;
}

/** PostgreSQL's data exception (22xxx) and integrity violation (23xxx) classes: a problem of some row, not of the database. */
export function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("22") || code.startsWith("23"));
}

/** A Prisma write refused by a unique index (a row with that key exists). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002";
}
