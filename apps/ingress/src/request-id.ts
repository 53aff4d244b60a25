import { randomUUID } from "node:crypto";
import type { RequestHandler } from "express";

declare global {
  namespace Express {
    interface Request {
      /** Set for every request by requestId or nameRequest, each app's first handler. */
      requestId: string;
    }
  }
}

/**
 * What a caller's X-Request-Id may be to be kept: up to 64 letters, digits, `_`, `.` and `-` (a
 * UUID, a ULID, a proxy's hex id). No spaces, quotes or control characters can reach a log line
 * through it, and no `:`, so it can never pass for the reconciler's `reconciler:<cycle>` marks.
 */
const WELL_FORMED = /^[\w.-]{1,64}$/;

/** The caller's id when it is well formed, else a new one; a repeated header (joined by Node with ", ") is not. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === "string" && WELL_FORMED.test(header) ? header : randomUUID();
}

/**
 * Gives every request an id, echoed in the answer's X-Request-Id header: the one its log lines and
 * the jobs it creates carry (docs/operations.md, Logs). A header only, so answers' bodies stay as
 * the contract has them.
 */
export const requestId: RequestHandler = (req, res, next) => {
  const id = requestIdFrom(req.headers["x-request-id"]);
  req.requestId = id;
  res.setHeader("X-Request-Id", id);
  next();
};

/**
 * requestId for a shell that writes every answer's headers itself in one writeHead (operator-app):
 * it names the request and leaves the header to that call, since a header set before writeHead
 * takes Node off its fast path on every push.
 */
export const nameRequest: RequestHandler = (req, _res, next) => {
  req.requestId = requestIdFrom(req.headers["x-request-id"]);
  next();
};
