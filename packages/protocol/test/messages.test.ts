import { Msg } from "../src";

describe("Msg (PROTOCOL §5 failure messages)", () => {
  test.each([
    ["operatorUnavailable", "运营商不存在或已停用"],
    ["ipNotAllowed", "IP不在白名单"],
    ["badSign", "签名错误"],
    ["faceValueNotOffered", "不支持的面值"],
    ["carrierMismatch", "号码与运营商类型不符"],
    ["duplicateOrderNo", "订单号重复"],
    ["badNotifyUrl", "回调地址无效"],
    ["orderNotFound", "订单不存在"],
    ["unknownPath", "接口不存在"],
    ["unsupportedFormat", "不支持的请求格式"],
    ["rateLimited", "请求过于频繁"],
    ["bodyTooLarge", "请求体过大"],
    ["busy", "系统繁忙，请稍后重试"],
  ] as const)("%s is exactly %s", (name, text) => {
    expect(Msg[name]).toBe(text);
  });

  test("missing and malformed name the field after an ASCII colon and one space", () => {
    expect(Msg.missing("uid")).toBe("缺少参数: uid");
    expect(Msg.malformed("face_value")).toBe("参数格式错误: face_value");
  });

  test("busy uses a full-width comma", () => {
    expect(Msg.busy).toContain("\uFF0C");
  });
});
