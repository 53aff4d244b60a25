import type { LedgerRepository, OrderRecord, OrderRepository } from "@topup/db";
import {
  balanceData,
  balanceQuerySign,
  carrierContradicts,
  isFaceValueOffered,
  Msg,
  orderPushFailure,
  orderPushSign,
  orderPushSuccess,
  orderQueryData,
  orderQuerySign,
  OrderStatus,
  parseRequestBody,
  queryFailure,
  querySuccess,
  shanghaiMidnight,
  signMatches,
  STATUS_NAMES,
  validateBalanceQuery,
  validateOrderPush,
  validateOrderQuery,
  type OrderPushRequest,
  type RequestFields,
  type Validation,
} from "@topup/protocol";
import { checkCallbackUrl, resolveClientIp, type AddressMatcher, type LookupAll } from "@topup/net";
import type { Logger } from "@topup/config";
import type { ProtocolAnswer, OperatorRequest } from "./answer";
import type { KnownOperator, OperatorDirectory } from "./operator-directory";
import type { FulfilmentScheduler } from "./fulfilment";
import type { RateLimiter } from "./rate-limiter";
import type { PlatformMetrics } from "@topup/metrics";

export interface OperatorApiDeps {
  operators: OperatorDirectory;
  orders: OrderRepository;
  ledger: LedgerRepository;
  scheduler: FulfilmentScheduler;
  rateLimiter: RateLimiter;
  trustedProxies: AddressMatcher;
  callbackAllowed: AddressMatcher;
  logger: Logger;
  /** For tests: resolves notify_url hosts without real DNS. */
  lookup?: LookupAll;
  metrics?: PlatformMetrics;
}

/** The two envelope families of PROTOCOL §4. */
const PUSH = { failure: orderPushFailure };
const QUERY = { failure: queryFailure };
type Envelope = typeof PUSH | typeof QUERY;

const ok = (body: string): ProtocolAnswer => ({ httpStatus: 200, body });

/** A request answered with the failure envelope: HTTP 200 for business outcomes, 429 when rate limited. */
class Rejection {
  constructor(readonly msg: string, readonly httpStatus = 200) {}
}

/**
 * The three operator endpoints (PROTOCOL §5, §8, §9), checked in the contract's order:
 * parse → required fields → formats → operator → caller IP → sign → business rules → idempotency → store.
 * Any failure to reach the database becomes HTTP 503 `系统繁忙，请稍后重试`: nothing was stored
 * and the operator may retry; a `code "200"` is only ever sent after the order row committed.
 */
export class OperatorApi {
  constructor(private readonly deps: OperatorApiDeps) {}

  pushOrder(request: OperatorRequest): Promise<ProtocolAnswer> {
    return this.answer(PUSH, "order push", request, async () => {
      const push = this.validated(request, validateOrderPush);
      const clientIp = this.clientIp(request);
      const { operator } = await this.authenticate(request, clientIp, "order", push.uid, push.sign, (key) => orderPushSign(push, key));
      await this.checkBusinessRules(operator, push);
      return this.store(operator, push, clientIp, request.requestId);
    });
  }

  queryBalance(request: OperatorRequest): Promise<ProtocolAnswer> {
    return this.answer(QUERY, "balance query", request, async () => {
      const query = this.validated(request, validateBalanceQuery);
      const { operator, key } = await this.authenticate(request, this.clientIp(request), "balance", query.uid, query.sign, (k) => balanceQuerySign(query.uid, k));
      const snapshot = await this.deps.ledger.balance(operator.accountId);
      if (!snapshot) throw new Error(`operator ${operator.uid} has no account`);
      const latest = snapshot.latest;
      const gmtCreate = (latest ? latest.createdAt : snapshot.accountCreatedAt).getTime();
      const data = balanceData({
        accountBalance: snapshot.balance,
        billingDate: shanghaiMidnight(gmtCreate),
        currency: "人民币",
        expenditure: latest?.expenditure ?? 0,
        gmtCreate,
        id: Number(snapshot.accountId),
        income: latest?.income ?? 0,
        operatorName: operator.name,
        payMoney: latest?.payMoney ?? 0,
        paymentDetailId: latest ? Number(latest.id) : 0,
        record: latest?.record ?? "",
      });
      return ok(querySuccess(data, key));
    });
  }

  queryOrder(request: OperatorRequest): Promise<ProtocolAnswer> {
    return this.answer(QUERY, "order query", request, async () => {
      const query = this.validated(request, validateOrderQuery);
      const { operator, key } = await this.authenticate(request, this.clientIp(request), "query_order", query.uid, query.sign, (k) =>
        orderQuerySign(query.uid, query.orderNo, k),
      );
      const order = await this.deps.orders.findByOrderNo(operator.id, query.orderNo);
      if (!order) throw new Rejection(Msg.orderNotFound);
      const data = orderQueryData({
        amount: order.faceValue,
        gmtCreate: order.createdAt.getTime(),
        id: Number(order.id),
        mobileOrderNo: order.mobileOrderNo ?? "",
        operatorSn: order.orderNo,
        operatorsName: operator.name,
        rechargePhoneNumber: order.phoneNumber,
        serialNumber: order.serialNumber,
        statusId: order.status,
        statusName: STATUS_NAMES[order.status],
      });
      return ok(querySuccess(data, key));
    });
  }

  private async answer(envelope: Envelope, what: string, request: OperatorRequest, handle: () => Promise<ProtocolAnswer>): Promise<ProtocolAnswer> {
    try {
      return await handle();
    } catch (error) {
      if (error instanceof Rejection) {
        if (envelope === PUSH) this.deps.metrics?.orderRejected(error.msg);
        return { httpStatus: error.httpStatus, body: envelope.failure(error.msg) };
      }
      this.deps.logger.error(`${what} failed; answered 503`, { requestId: request.requestId, error });
      if (envelope === PUSH) this.deps.metrics?.orderRejected(Msg.busy);
      return { httpStatus: 503, body: envelope.failure(Msg.busy) };
    }
  }

  private validated<T>(request: OperatorRequest, validate: (fields: RequestFields) => Validation<T>): T {
    const parsed = parseRequestBody(request.contentType, request.body);
    if (!parsed.ok) throw new Rejection(parsed.msg);
    const result = validate(parsed.fields);
    if (!result.ok) throw new Rejection(result.msg);
    return result.value;
  }

  /** PROTOCOL §5: the TCP peer, or behind a trusted proxy the right-most untrusted X-Forwarded-For address. */
  private clientIp(request: OperatorRequest): string {
    return resolveClientIp(request.peer, request.forwardedFor, this.deps.trustedProxies);
  }

  /**
   * Operator, caller IP, sign, then the operator's rate limit (counted only for authentic requests,
   * so that nobody else can spend an operator's budget). During a key rotation's grace period the
   * previous key verifies too; the key that matched is returned, so that an answer is signed with
   * the key the operator signed with (it may not have the new one yet).
   */
  private async authenticate(
    request: OperatorRequest,
    clientIp: string,
    endpoint: string,
    uid: string,
    sign: string,
    expected: (key: string) => string,
  ): Promise<{ operator: KnownOperator; key: string }> {
    const operator = await this.deps.operators.get(uid);
    if (!operator || !operator.enabled) throw new Rejection(Msg.operatorUnavailable);
    if (!operator.whitelist.isEmpty && !operator.whitelist.matches(clientIp)) throw new Rejection(Msg.ipNotAllowed);
    const key = matchingKey(operator, sign, expected);
    if (key === null) throw new Rejection(Msg.badSign);
    const limit = operator.rateLimitPerSecond;
    if (limit !== null && !(await this.deps.rateLimiter.allow(operator.uid, endpoint, limit, request.requestId))) {
      throw new Rejection(Msg.rateLimited, 429);
    }
    return { operator, key };
  }

  private async checkBusinessRules(operator: KnownOperator, push: OrderPushRequest): Promise<void> {
    if (!isFaceValueOffered(push.faceValue, operator.faceValues)) throw new Rejection(Msg.faceValueNotOffered);
    if (operator.strictCarrier && carrierContradicts(push.phoneNumber, push.mobileType)) throw new Rejection(Msg.carrierMismatch);
    const allowed = await checkCallbackUrl(push.notifyUrl, this.deps.callbackAllowed, { lookup: this.deps.lookup });
    if (!allowed) throw new Rejection(Msg.badNotifyUrl);
  }

  private async store(operator: KnownOperator, push: OrderPushRequest, clientIp: string, requestId: string): Promise<ProtocolAnswer> {
    const { created, order } = await this.deps.orders.insert({
      operatorId: operator.id,
      orderNo: push.orderNo,
      orderType: push.orderType,
      mobileType: push.mobileType,
      phoneNumber: push.phoneNumber,
      faceValue: push.faceValue,
      settlementRateBp: operator.rateBp,
      notifyUrl: push.notifyUrl,
      clientIp: clientIp || null,
    });
    if (!created) {
      if (!sameOrder(order, push)) throw new Rejection(Msg.duplicateOrderNo);
      // An operator repeats a push when it did not get our answer — perhaps because the process
      // that stored the order died before enqueueing it, or Redis was down. If the order has not
      // started, enqueue it again now instead of leaving it to the reconciler's grace period. Should
      // its first job still be there, whichever runs second finds the order moved.
      if (order.status === OrderStatus.Created) this.deps.scheduler.scheduleNew(order, requestId);
      return ok(orderPushSuccess());
    }
    // Committed: from here on the order exists whatever happens to Redis. A failed enqueue is
    // picked up by the worker's reconciler from the order's next_check_at.
    this.deps.metrics?.orderAccepted();
    this.deps.scheduler.scheduleNew(order, requestId);
    return ok(orderPushSuccess());
  }
}

/**
 * The operator's current key if the sign is made with it, else its previous key while the grace
 * period runs (checked against this process's clock at every request, so a cached operator's grace
 * ends on time), else null.
 */
function matchingKey(operator: KnownOperator, sign: string, expected: (key: string) => string): string | null {
  if (signMatches(expected(operator.md5key), sign)) return operator.md5key;
  const previous = operator.previousMd5key;
  const until = operator.previousKeyUntil;
  if (previous !== null && until !== null && until.getTime() > Date.now() && signMatches(expected(previous), sign)) return previous;
  return null;
}

function sameOrder(order: OrderRecord, push: OrderPushRequest): boolean {
  return (
    order.orderType === push.orderType &&
    order.mobileType === push.mobileType &&
    order.phoneNumber === push.phoneNumber &&
    order.faceValue === push.faceValue &&
    order.notifyUrl === push.notifyUrl
  );
}
