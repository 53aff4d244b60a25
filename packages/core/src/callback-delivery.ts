import type { Logger } from "@topup/config";
import type { CallbackRepository } from "@topup/db";
import type { CallbackHttpClient } from "@topup/net";
import { CALLBACK_ATTEMPTS, callbackForm, callbackRoundDueBy, callbackStatusOf, isCallbackAck } from "@topup/protocol";
import type { CallbackRound } from "@topup/queue";
import type { PlatformMetrics } from "@topup/metrics";
import { allThenFirstError } from "./all-settled";
import { orderLog } from "./order-log";

export type DeliveryOutcome = "acked" | "retry" | "failed" | "skipped";

/**
 * Callback attempts (PROTOCOL §7). The attempt number comes from the attempts stored for the
 * round, not from the queue's counter, so that a replayed job or a re-enqueued round never makes
 * more than three attempts in all. BullMQ's retry policy spaces them (CALLBACK_BACKOFF_MS × 2^(n−1)).
 */
export class CallbackDelivery {
  constructor(
    private readonly callbacks: CallbackRepository,
    private readonly http: CallbackHttpClient,
    private readonly logger: Logger,
    /** CALLBACK_BACKOFF_MS: how long a round left open by a failed attempt waits for its next one. */
    private readonly backoffMs: number,
    private readonly metrics?: PlatformMetrics,
  ) {}

  /**
   * The next attempt of every round of a job, side by side. Rounds closed meanwhile — acknowledged
   * in an earlier run of the job — are skipped, so a retried job only delivers what is still open.
   */
  deliverAll(rounds: readonly CallbackRound[]): Promise<DeliveryOutcome[]> {
    return allThenFirstError(rounds.map((round) => this.deliver(round)));
  }

  async deliver(job: CallbackRound): Promise<DeliveryOutcome> {
    const delivery = await this.callbacks.loadDelivery(job.orderId);
    if (!delivery) return "skipped";
    const { order, operatorUid, md5key } = delivery;
    if (order.callbackRound !== job.round || order.callbackState !== "pending") return "skipped";
    const status = callbackStatusOf(order.status);
    if (status === null) return "skipped";

    const attemptNo = delivery.attemptsInRound + 1;
    if (attemptNo > CALLBACK_ATTEMPTS) {
      await this.callbacks.closeRoundFailed(order.id, job.round);
      return "failed";
    }
    const body = callbackForm(
      {
        uid: operatorUid,
        orderNo: order.orderNo,
        mobileOrderNo: order.mobileOrderNo,
        phoneNumber: order.phoneNumber,
        faceValue: order.faceValue,
        status,
      },
      md5key,
    );
    const result = await this.http.post(order.notifyUrl, body);
    // An answer cut short (reset, deadline) after "200 ok" began is not an acknowledgement: a
    // repeat is harmless (at-least-once), a wrong ack would lose the callback.
    const acknowledged = result.error === null && result.httpStatus !== null && isCallbackAck(result.httpStatus, result.body);
    const final = attemptNo >= CALLBACK_ATTEMPTS;
    await this.callbacks.recordAttempt({
      orderId: order.id,
      round: job.round,
      attemptNo,
      status,
      startedAt: result.startedAt,
      httpStatus: result.httpStatus,
      bodyExcerpt: result.body,
      latencyMs: result.latencyMs,
      error: result.error,
      remoteAddress: result.remoteAddress,
      acknowledged,
      final,
      nextCheckAt: callbackRoundDueBy(new Date(), attemptNo, this.backoffMs),
    });
    const outcome: DeliveryOutcome = acknowledged ? "acked" : final ? "failed" : "retry";
    this.metrics?.callbackAttempt(outcome, order.createdAt);
    // Failed attempts are worth an operator's attention; acknowledged ones are in callback_attempts.
    const level = outcome === "acked" ? "debug" : "info";
    if (this.logger.isLevelEnabled(level)) orderLog(this.logger, order, operatorUid, job.requestId).log(level, "callback attempt", {
      status: order.status,
      round: job.round,
      attemptNo,
      httpStatus: result.httpStatus,
      error: result.error,
      latencyMs: result.latencyMs,
      outcome,
    });
    return outcome;
  }
}
