/**
 * Response envelopes of PROTOCOL §4 as exact JSON text. Objects are built in the documented key
 * order and serialised with JSON.stringify, which keeps insertion order, writes compactly and
 * leaves non-ASCII characters as themselves — exactly what the signatures are computed over.
 */
import { assertSafeInteger } from "./integers";
import { responseDataSign } from "./signature";

export function orderPushSuccess(): string {
  return JSON.stringify({ code: "200", count: "1", msg: "Success" });
}

export function orderPushFailure(msg: string): string {
  return JSON.stringify({ code: "400", count: "0", msg });
}

/** `data` is sent as a JSON string and signed exactly as sent. */
export function querySuccess(data: string, key: string): string {
  return JSON.stringify({ code: "200", count: "1", msg: "success", sign: responseDataSign(data, key), data });
}

export function queryFailure(msg: string): string {
  return JSON.stringify({ code: "400", count: "0", msg, sign: "", data: "" });
}

export interface BalanceData {
  accountBalance: number;
  billingDate: number;
  currency: string;
  expenditure: number;
  gmtCreate: number;
  id: number;
  income: number;
  operatorName: string;
  payMoney: number;
  paymentDetailId: number;
  record: string;
}

/** The inner `data` text of a balance answer (PROTOCOL §8), keys in the document's order. */
export function balanceData(d: BalanceData): string {
  return innerSuccess({
    accountBalance: int("accountBalance", d.accountBalance),
    billingDate: int("billingDate", d.billingDate),
    currency: str("currency", d.currency),
    expenditure: int("expenditure", d.expenditure),
    gmtCreate: int("gmtCreate", d.gmtCreate),
    id: int("id", d.id),
    income: int("income", d.income),
    operatorName: str("operatorName", d.operatorName),
    payMoney: int("payMoney", d.payMoney),
    paymentDetailId: int("paymentDetailId", d.paymentDetailId),
    record: str("record", d.record),
  });
}

export interface OrderQueryData {
  amount: number;
  gmtCreate: number;
  id: number;
  mobileOrderNo: string;
  operatorSn: string;
  operatorsName: string;
  rechargePhoneNumber: string;
  serialNumber: string;
  statusId: number;
  statusName: string;
}

/**
 * The inner `data` text of an order query answer (PROTOCOL §9). Long numbers (mobileOrderNo,
 * operatorSn, serialNumber, rechargePhoneNumber) are strings: as numbers they would exceed 2^53.
 */
export function orderQueryData(d: OrderQueryData): string {
  return innerSuccess({
    amount: int("amount", d.amount),
    gmtCreate: int("gmtCreate", d.gmtCreate),
    id: int("id", d.id),
    mobileOrderNo: str("mobileOrderNo", d.mobileOrderNo),
    operatorSn: str("operatorSn", d.operatorSn),
    operatorsName: str("operatorsName", d.operatorsName),
    rechargePhoneNumber: str("rechargePhoneNumber", d.rechargePhoneNumber),
    serialNumber: str("serialNumber", d.serialNumber),
    statusId: int("statusId", d.statusId),
    statusName: str("statusName", d.statusName),
  });
}

/** Inner `code`/`count` are numbers, unlike the outer envelope's strings. */
function innerSuccess(data: object): string {
  return JSON.stringify({ code: 200, count: 1, data, msg: "success" });
}

function int(name: string, n: number): number {
  assertSafeInteger(name, n);
  return n;
}

function str(name: string, s: string): string {
  if (typeof s !== "string") throw new TypeError(`${name} must be a string, got ${typeof s}`);
  return s;
}
