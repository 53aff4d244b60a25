import { parseRequestBody, type FieldValue, type RequestFields } from "../src";

export const FORM = "application/x-www-form-urlencoded";
export const JSON_TYPE = "application/json";

/** The PROTOCOL §3 test-vector party. */
export const V = {
  uid: "3928857",
  key: "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
  orderNo: "020160427210604000490",
  phoneNumber: "13999999999",
  faceValue: 1000,
} as const;

/** The document's example balance data, compact (PROTOCOL §3). */
export const DOC_BALANCE_DATA =
  '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';

export function form(body: string): RequestFields {
  return parsedOk(FORM, Buffer.from(body, "utf8"));
}

export function json(body: string): RequestFields {
  return parsedOk(JSON_TYPE, Buffer.from(body, "utf8"));
}

export function parsedOk(contentType: string, body: Buffer): RequestFields {
  const r = parseRequestBody(contentType, body);
  if (!r.ok) throw new Error(`expected a parse, got ${r.msg}`);
  return r.fields;
}

/** Field maps written directly, for validator tests independent of body syntax. */
export function fields(entries: Record<string, FieldValue | string>): RequestFields {
  return new Map(
    Object.entries(entries).map(([k, v]) => [k, typeof v === "string" ? { kind: "string", value: v } : v] as const),
  );
}

export const num = (raw: string): FieldValue => ({ kind: "number", raw });
