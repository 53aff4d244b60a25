/** An HTTP answer to an operator: status code and the exact JSON text of the body. */
export interface ProtocolAnswer {
  httpStatus: number;
  body: string;
}

/** What the HTTP shell hands to the use cases: the raw request, untouched. */
export interface OperatorRequest {
  contentType: string | undefined;
  body: Buffer;
  /** The TCP peer's address. */
  peer: string | undefined;
  forwardedFor: string | string[] | undefined;
  /** The request's id (the ingress's X-Request-Id): on its log lines and in the jobs it creates. */
  requestId: string;
}
