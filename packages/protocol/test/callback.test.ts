import { CALLBACK_ATTEMPTS, CALLBACK_TIMEOUT_MS, callbackForm, callbackRoundDueBy, callbackSign, isCallbackAck, type CallbackFields } from "../src";
import { V } from "./helpers";

const CB: CallbackFields = {
  uid: V.uid,
  orderNo: V.orderNo,
  mobileOrderNo: "508266044086865194",
  phoneNumber: V.phoneNumber,
  faceValue: V.faceValue,
  status: 4,
};

describe("callbackForm", () => {
  test("byte-exact body with the §3 vector sign, fields in the document's order", () => {
    expect(callbackForm(CB, V.key)).toBe(
      "uid=3928857&order_no=020160427210604000490&mobile_order_no=508266044086865194&phone_number=13999999999&face_value=1000&status=4&sign=08a0571b935c2131236becf1e94f4686",
    );
  });

  test("mobile_order_no is empty, not absent, when there is none; it does not enter the sign", () => {
    const body = callbackForm({ ...CB, mobileOrderNo: null }, V.key);
    expect(body).toContain("&mobile_order_no=&");
    expect(new URLSearchParams(body).get("sign")).toBe("08a0571b935c2131236becf1e94f4686");
  });

  test.each([9, 10] as const)("status %p is signed with that status", (status) => {
    const p = new URLSearchParams(callbackForm({ ...CB, status }, V.key));
    expect(p.get("status")).toBe(String(status));
    expect(p.get("sign")).toBe(callbackSign({ ...CB, status }, V.key));
  });

  test("values are form-encoded and decode back exactly", () => {
    const odd = { ...CB, uid: "a b&c=d", mobileOrderNo: "单号+1" };
    const p = new URLSearchParams(callbackForm(odd, V.key));
    expect(p.get("uid")).toBe("a b&c=d");
    expect(p.get("mobile_order_no")).toBe("单号+1");
    expect([...p.keys()]).toEqual(["uid", "order_no", "mobile_order_no", "phone_number", "face_value", "status", "sign"]);
  });

  test("a non-integer face value is a programming error", () => {
    expect(() => callbackForm({ ...CB, faceValue: 10.5 }, V.key)).toThrow(TypeError);
  });
});

describe("isCallbackAck", () => {
  test.each([
    [200, "ok"],
    [200, "OK"],
    [200, "Ok"],
    [200, " ok\r\n"],
    [200, "\tok\t"],
    [200, "\ufeffok"],
    [204, "ok"],
    [299, "success"],
    [200, "SUCCESS"],
    [201, "Success\n"],
  ])("HTTP %p %j → acknowledged", (status, body) => {
    expect(isCallbackAck(status, body)).toBe(true);
  });

  test.each([
    [200, ""],
    [200, "okay"],
    [200, "ok!"],
    [200, "o k"],
    [200, '"ok"'],
    [200, "{\"result\":\"ok\"}"],
    [200, "not ok"],
    [200, "fail"],
    [200, "successful"],
    [200, "o\u212A"], // "ok" written with a Kelvin sign: not the ASCII token
    [200, "\u017Fuccess"], // long s
    [199, "ok"],
    [300, "ok"],
    [302, "ok"],
    [404, "ok"],
    [500, "success"],
    [0, "ok"],
    [200.5, "ok"],
    [Number.NaN, "ok"],
  ])("HTTP %p %j → not acknowledged", (status, body) => {
    expect(isCallbackAck(status, body)).toBe(false);
  });
});

describe("callbackRoundDueBy: by when a round's next attempt has ended while its work is alive", () => {
  const at = new Date(1_700_000_000_000);
  test.each([
    [0, 0], // the first attempt starts at once
    [1, 5_000], // attempt 2 starts backoff after attempt 1 failed
    [2, 10_000], // attempt 3: backoff × 2
  ])("after %i attempts: %i ms of backoff, then the 10 s an attempt may last", (attemptsMade, backoff) => {
    expect(callbackRoundDueBy(at, attemptsMade, 5_000).getTime()).toBe(at.getTime() + backoff + CALLBACK_TIMEOUT_MS);
  });

  test("three attempts in all, 10 s each (the document, PROTOCOL §7)", () => {
    expect(CALLBACK_ATTEMPTS).toBe(3);
    expect(CALLBACK_TIMEOUT_MS).toBe(10_000);
  });
});
