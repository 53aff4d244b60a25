import {
  balanceQuerySign,
  callbackSign,
  md5Hex,
  orderPushSign,
  orderQuerySign,
  responseDataSign,
  signMatches,
} from "../src";
import { createHash } from "node:crypto";
import { DOC_BALANCE_DATA, V } from "./helpers";

describe("PROTOCOL §3 test vectors", () => {
  test("order push", () => {
    expect(orderPushSign(V, V.key)).toBe("80fcb730498a656ec0bcba86da87b4dc");
  });
  test("callback with status 4", () => {
    expect(callbackSign({ ...V, status: 4 }, V.key)).toBe("08a0571b935c2131236becf1e94f4686");
  });
  test("balance query", () => {
    expect(balanceQuerySign(V.uid, V.key)).toBe("b81a8a1ffea6c14baf393c436267af18");
  });
  test("order query", () => {
    expect(orderQuerySign(V.uid, V.orderNo, V.key)).toBe("620013c234e770e7a43c38fb6c685e27");
  });
  test("balance response over the document's example data (UTF-8)", () => {
    expect(responseDataSign(DOC_BALANCE_DATA, V.key)).toBe("576cf2f27945a2629c48480c88ac43d1");
  });
});

describe("md5Hex", () => {
  test("known digests, lowercase", () => {
    expect(md5Hex("")).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5Hex("abc")).toBe("900150983cd24fb0d6963f7d28e17f72");
  });
  test("hashes UTF-8 bytes, not UTF-16 or Latin-1", () => {
    // md5 of the three UTF-8 bytes e4 bd a0
    expect(md5Hex("你")).toBe(createHash("md5").update(Buffer.from([0xe4, 0xbd, 0xa0])).digest("hex"));
  });
});

describe("signed strings are plain concatenations in the documented order", () => {
  test("order push = md5(uid + order_no + phone_number + face_value + key)", () => {
    expect(orderPushSign(V, V.key)).toBe(md5Hex(`${V.uid}${V.orderNo}${V.phoneNumber}1000${V.key}`));
  });
  test("callback = md5(uid + order_no + phone_number + face_value + status + key)", () => {
    for (const status of [4, 9, 10]) {
      expect(callbackSign({ ...V, status }, V.key)).toBe(md5Hex(`${V.uid}${V.orderNo}${V.phoneNumber}1000${status}${V.key}`));
    }
  });
  test("order_no's leading zero matters", () => {
    expect(orderPushSign({ ...V, orderNo: V.orderNo.slice(1) }, V.key)).not.toBe(orderPushSign(V, V.key));
  });
  test("face_value enters as canonical decimal text", () => {
    expect(orderPushSign({ ...V, faceValue: 100 }, V.key)).toBe(md5Hex(`${V.uid}${V.orderNo}${V.phoneNumber}100${V.key}`));
  });
  test.each([1.5, -1, Number.NaN, Infinity, 2 ** 53, 1e21])("faceValue %p is a programming error", (faceValue) => {
    expect(() => orderPushSign({ ...V, faceValue }, V.key)).toThrow(TypeError);
    expect(() => callbackSign({ ...V, faceValue, status: 4 }, V.key)).toThrow(TypeError);
  });
});

describe("signMatches", () => {
  const sign = "80fcb730498a656ec0bcba86da87b4dc";
  test("equal", () => expect(signMatches(sign, sign)).toBe(true));
  test("case-insensitive both ways", () => {
    expect(signMatches(sign, sign.toUpperCase())).toBe(true);
    expect(signMatches(sign.toUpperCase(), sign)).toBe(true);
    expect(signMatches(sign, "80FCB730498a656ec0bcba86da87B4DC")).toBe(true);
  });
  test("one character off", () => {
    expect(signMatches(sign, sign.slice(0, -1) + "d")).toBe(false);
    expect(signMatches(sign, "9" + sign.slice(1))).toBe(false);
  });
  test.each(["", sign.slice(1), sign + "0", sign + sign, "你".repeat(32)])("length mismatch %j → false", (given) => {
    expect(signMatches(sign, given)).toBe(false);
  });
});
