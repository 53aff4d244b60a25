import { balanceQuerySign, orderPushSign, orderQuerySign } from "@topup/protocol";

/** An operator's side of the protocol, for tests: builds signed requests and posts them. */
export interface PushFields {
  uid: string;
  order_no: string;
  order_type: string;
  mobile_type: string;
  phone_number: string;
  face_value: string;
  notify_url: string;
  sign?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  contentType: string | null;
  text: string;
  json: Record<string, unknown>;
}

export class OperatorClient {
  constructor(readonly baseUrl: string, readonly uid: string, readonly key: string) {}

  push(overrides: Partial<PushFields> & { order_no: string; notify_url: string }): PushFields {
    const fields: PushFields = {
      uid: this.uid,
      order_type: "1",
      mobile_type: "1",
      phone_number: "13812345678",
      face_value: "1000",
      ...overrides,
    };
    fields.sign ??= orderPushSign(
      { uid: fields.uid, orderNo: fields.order_no, phoneNumber: fields.phone_number, faceValue: Number(fields.face_value) },
      this.key,
    );
    return fields;
  }

  pushOrder(fields: PushFields | Record<string, string>): Promise<HttpAnswer> {
    return this.postForm("/1/api/oper/order", fields as Record<string, string>);
  }

  queryBalance(sign = balanceQuerySign(this.uid, this.key)): Promise<HttpAnswer> {
    return this.postForm("/1/api/oper/balance", { uid: this.uid, sign });
  }

  queryOrder(orderNo: string, sign = orderQuerySign(this.uid, orderNo, this.key)): Promise<HttpAnswer> {
    return this.postForm("/1/api/oper/query_order", { uid: this.uid, order_no: orderNo, sign });
  }

  /** The inner `data` of a successful order query's answer (PROTOCOL §9): the order as the operator sees it. */
  async orderData(orderNo: string): Promise<any> {
    return JSON.parse((await this.queryOrder(orderNo)).json.data as string).data;
  }

  postForm(path: string, fields: Record<string, string>, extraHeaders: Record<string, string> = {}): Promise<HttpAnswer> {
    return this.post(path, new URLSearchParams(fields).toString(), "application/x-www-form-urlencoded", "POST", extraHeaders);
  }

  async post(path: string, body: string | Buffer, contentType?: string, method = "POST", extraHeaders: Record<string, string> = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (contentType) headers["content-type"] = contentType;
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: method === "GET" || method === "HEAD" ? undefined : body });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // left empty: the test asserts on text
    }
    return { status: res.status, headers: res.headers, contentType: res.headers.get("content-type"), text, json };
  }
}
