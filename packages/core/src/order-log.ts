import type { Logger } from "@topup/config";
import type { OperatorRepository, OrderRecord } from "@topup/db";

/**
 * The logger for lines about one order while a job or a request handles it: each line names the
 * request the work came from, the operator's uid and order_no, and the order's id, so that
 * everything about an order can be found from what the operator knows (docs/operations.md, Logs).
 */
export function orderLog(logger: Logger, order: OrderRecord, uid: string | undefined, requestId: string | undefined): Logger {
  return logger.child({ requestId, uid, orderNo: order.orderNo, orderId: order.id });
}

/**
 * Operators' uids by their row id, for orderLog: an order row names its operator by id. A uid never
 * changes, so an entry never goes stale; concurrent misses share one read. A failed read gives no
 * uid (a log line must not fail the work it is about) and is tried again next time.
 */
export class OperatorUids {
  private readonly uids = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly operators: OperatorRepository,
    private readonly maxEntries = 10_000,
  ) {}

  of(operatorId: string): Promise<string | undefined> {
    let uid = this.uids.get(operatorId);
    if (!uid) {
      if (this.uids.size >= this.maxEntries) this.uids.clear();
      uid = this.operators.findById(operatorId).then(
        (operator) => operator?.uid,
        () => void this.uids.delete(operatorId),
      );
      this.uids.set(operatorId, uid);
    }
    return uid;
  }
}
