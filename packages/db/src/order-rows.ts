import type { OrderStatus } from "@topup/protocol";
import { idText, type CallbackState, type OrderRecord } from "./records";

/** The shape of an `orders` row as pg returns it (RETURNING * / SELECT *); BIGINT arrives as text. */
export interface OrderRow {
  id: string;
  serial_number: string;
  operator_id: string;
  order_no: string;
  order_type: number;
  mobile_type: number;
  phone_number: string;
  face_value: number;
  settlement_rate_bp: number;
  notify_url: string;
  status: number;
  channel: string | null;
  mobile_order_no: string | null;
  callback_state: string;
  callback_round: number;
  client_ip: string | null;
  next_check_at: Date | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

export function orderFromRow(row: OrderRow): OrderRecord {
  return {
    id: idText(row.id),
    serialNumber: row.serial_number,
    operatorId: idText(row.operator_id),
    orderNo: row.order_no,
    orderType: Number(row.order_type),
    mobileType: Number(row.mobile_type),
    phoneNumber: row.phone_number,
    faceValue: Number(row.face_value),
    settlementRateBp: Number(row.settlement_rate_bp),
    notifyUrl: row.notify_url,
    status: Number(row.status) as OrderStatus,
    channel: row.channel,
    mobileOrderNo: row.mobile_order_no,
    callbackState: row.callback_state as CallbackState,
    callbackRound: Number(row.callback_round),
    clientIp: row.client_ip,
    nextCheckAt: row.next_check_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}
