/**
 * Every failure message of PROTOCOL §5, exact text. Operators match on these strings,
 * so they live in one place and are never composed elsewhere.
 */
export const Msg = {
  missing: (field: string): string => `缺少参数: ${field}`,
  malformed: (field: string): string => `参数格式错误: ${field}`,
  operatorUnavailable: "运营商不存在或已停用",
  ipNotAllowed: "IP不在白名单",
  badSign: "签名错误",
  faceValueNotOffered: "不支持的面值",
  carrierMismatch: "号码与运营商类型不符",
  duplicateOrderNo: "订单号重复",
  badNotifyUrl: "回调地址无效",
  orderNotFound: "订单不存在",
  unknownPath: "接口不存在",
  unsupportedFormat: "不支持的请求格式",
  rateLimited: "请求过于频繁",
  bodyTooLarge: "请求体过大",
  busy: "系统繁忙，请稍后重试",
} as const;
