import bodyParser from "body-parser";
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from "express";
import type { Logger } from "@topup/config";
import type { NotifyAnswer, OperatorApi, OperatorRequest, ProtocolAnswer } from "@topup/core";
import { Msg, orderPushFailure, parseRequestBody, plainFields, queryFailure } from "@topup/protocol";
import { nameRequest } from "./request-id";

/** PROTOCOL §1: bodies over 16 KiB are refused with HTTP 413. */
export const MAX_BODY_BYTES = 16 * 1024;

/** PROTOCOL §1 gives 405 the failure envelope but no message of its own. */
export const METHOD_NOT_ALLOWED = "不支持的请求方法";

type Endpoint = { failure: (msg: string) => string; handle: (api: OperatorApi, request: OperatorRequest) => Promise<ProtocolAnswer> };

const ENDPOINTS: Record<string, Endpoint> = {
  "/1/api/oper/order": { failure: orderPushFailure, handle: (api, r) => api.pushOrder(r) },
  "/1/api/oper/balance": { failure: queryFailure, handle: (api, r) => api.queryBalance(r) },
  "/1/api/oper/query_order": { failure: queryFailure, handle: (api, r) => api.queryOrder(r) },
};

/**
 * Every answer is a JSON text whose type and length we know: written with Node's own writeHead/end
 * (merged with any header set before, such as Allow). Express's res.send would re-derive the
 * charset, the length and the HEAD rule (Node drops a HEAD answer's body itself) at a cost the hot path feels.
 */
function send(res: Response, httpStatus: number, body: string): void {
  res.writeHead(httpStatus, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(body), "X-Request-Id": idOf(res) }).end(body);
}

/** The id nameRequest, the app's first handler, gave the request. */
function idOf(res: Response): string {
  return (res.req as Request).requestId;
}

/** PROTOCOL §12: where suppliers call back, as the request sees it (the code still percent-encoded). */
const SUPPLIER_NOTIFY_PATH = /^\/1\/api\/channel\/[^/]+\/notify$/;

/** Applies a supplier's callback about channel `code` (Fulfilment.notified). */
export type SupplierNotify = (code: string, fields: Readonly<Record<string, string>>, requestId: string) => Promise<NotifyAnswer>;

function sendText(res: Response, httpStatus: number, body: string): void {
  res.writeHead(httpStatus, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(body), "X-Request-Id": idOf(res) }).end(body);
}

/**
 * The operator API on PORT: the HTTP shell around OperatorApi, and the suppliers' callbacks. It hands the use case the raw body
 * bytes (body-parser only enforces the size limit and decompression), because parsing, charset and
 * duplicate-field rules are part of the protocol and live in @topup/protocol.
 */
export function createOperatorApp(api: OperatorApi, logger: Logger, notify: SupplierNotify): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  // The contract's paths are exact: /1/api/oper/ORDER or a trailing slash is an unknown path (404).
  app.set("case sensitive routing", true);
  app.set("strict routing", true);
  app.use(nameRequest);

  const rawBody = bodyParser.raw({ type: () => true, limit: MAX_BODY_BYTES });

  for (const [path, endpoint] of Object.entries(ENDPOINTS)) {
    const handle: RequestHandler = async (req, res) => {
      const answer = await endpoint.handle(api, operatorRequest(req));
      send(res, answer.httpStatus, answer.body);
    };
    const methodNotAllowed: RequestHandler = (_req, res) => {
      res.set("Allow", "POST");
      send(res, 405, endpoint.failure(METHOD_NOT_ALLOWED));
    };
    // POST goes straight to its handler; every other method on the path (HEAD and OPTIONS too) is 405.
    app.post(path, rawBody, handle);
    app.all(path, methodNotAllowed);
  }

  // PROTOCOL §12: "ok" only once the callback is committed; "fail" (nothing changed) asks the supplier to send it again.
  app.post("/1/api/channel/:code/notify", rawBody, async (req, res) => {
    try {
      const parsed = parseRequestBody(req.headers["content-type"], Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      const fields = parsed.ok ? plainFields(parsed.fields) : null;
      sendText(res, 200, fields ? await notify(String(req.params.code), fields, req.requestId) : "fail");
    } catch (error) {
      logger.error("supplier callback failed", { requestId: req.requestId, channel: req.params.code, error });
      sendText(res, 503, "fail");
    }
  });

  app.use((_req, res) => send(res, 404, orderPushFailure(Msg.unknownPath)));

  const onError: ErrorRequestHandler = (error: { type?: string; status?: number }, req, res, _next) => {
    if (res.headersSent || error.type === "request.aborted") return;
    const tooLarge = error.type === "entity.too.large";
    const unreadable = typeof error.status === "number" && error.status < 500;
    if (!tooLarge && !unreadable) logger.error("operator request failed", { requestId: req.requestId, path: req.path, error });
    const httpStatus = tooLarge ? 413 : unreadable ? 200 : 503;
    // A supplier's callback is answered in its own dialect (text), whatever could not be read.
    if (SUPPLIER_NOTIFY_PATH.test(req.path)) return sendText(res, httpStatus, "fail");
    const failure = ENDPOINTS[req.path]?.failure ?? orderPushFailure;
    send(res, httpStatus, failure(tooLarge ? Msg.bodyTooLarge : unreadable ? Msg.unsupportedFormat : Msg.busy));
  };
  app.use(onError);
  return app;
}

function operatorRequest(req: Request): OperatorRequest {
  return {
    contentType: req.headers["content-type"],
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    peer: req.socket.remoteAddress,
    forwardedFor: req.headers["x-forwarded-for"],
    requestId: req.requestId,
  };
}
