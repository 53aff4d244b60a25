import * as protocol from "../src";

// Other packages are written against these names: renaming one must fail here, not in production.
describe("public API of @topup/protocol", () => {
  test.each([
    "parseRequestBody",
    "validateOrderPush",
    "validateBalanceQuery",
    "validateOrderQuery",
    "md5Hex",
    "orderPushSign",
    "callbackSign",
    "balanceQuerySign",
    "orderQuerySign",
    "responseDataSign",
    "signMatches",
    "orderPushSuccess",
    "orderPushFailure",
    "querySuccess",
    "queryFailure",
    "balanceData",
    "orderQueryData",
    "isOrderStatus",
    "isTerminal",
    "canTransition",
    "callbackStatusOf",
    "callbackForm",
    "isCallbackAck",
    "callbackRoundDueBy",
    "carrierOfNumber",
    "carrierContradicts",
    "shanghaiMidnight",
    "isFaceValueOffered",
    "memoized",
  ])("%s is a function", (name) => {
    expect(typeof (protocol as Record<string, unknown>)[name]).toBe("function");
  });

  test("constants", () => {
    expect(typeof protocol.Msg.missing).toBe("function");
    expect(protocol.OrderStatus.Created).toBe(5);
    expect(protocol.STATUS_NAMES[4]).toBe("充值成功");
    expect(protocol.TRANSITIONS[5]).toEqual([6, 10]);
    expect(protocol.DEFAULT_FACE_VALUE_MIN).toBe(100);
    expect(protocol.DEFAULT_FACE_VALUE_MAX).toBe(100000);
  });

  test("never throws on a body that is not bytes", () => {
    expect(protocol.parseRequestBody("application/json", undefined as unknown as Buffer)).toEqual({
      ok: false,
      msg: "不支持的请求格式",
    });
    expect(protocol.parseRequestBody(["application/json"] as unknown as string, Buffer.from("{}"))).toEqual({
      ok: false,
      msg: "不支持的请求格式",
    });
  });
});
