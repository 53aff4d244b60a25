#!/usr/bin/env node
// Signing the operator protocol (PROTOCOL §3) in Node.js (18 or later), no dependencies.
//
//   node sign.js                                     prints the signs of §3's five test vectors
//   node sign.js push BASE_URL UID KEY [NOTIFY_URL]  pushes one sandbox test order
//
// The sign is the MD5 of the UTF-8 bytes of the fields concatenated in the table's order with
// nothing between them, then the md5key, written as 32 lower-case hex digits.
"use strict";
const crypto = require("node:crypto");

function md5Sign(text) {
  // Hash the UTF-8 bytes (some signed data is Chinese) and write the digest as lower-case hex.
  return crypto.createHash("md5").update(text, "utf8").digest("hex");
}

// One function per signed message. Plain concatenation in exactly this order: no separators,
// no field names, no sorting. Int fields (faceValue, status) enter as plain decimal text
// ("1000", never "1000.0" or "01000"); orderNo is a string and keeps its leading zeros.
const orderPushSign = (uid, orderNo, phoneNumber, faceValue, key) => md5Sign(uid + orderNo + phoneNumber + String(faceValue) + key);
// Check this on every callback the platform sends to your notify_url before trusting it.
const callbackSign = (uid, orderNo, phoneNumber, faceValue, status, key) =>
  md5Sign(uid + orderNo + phoneNumber + String(faceValue) + String(status) + key);
const balanceQuerySign = (uid, key) => md5Sign(uid + key);
const orderQuerySign = (uid, orderNo, key) => md5Sign(uid + orderNo + key);
// Query answers sign their `data` field: the exact string received, not a re-serialisation.
const responseSign = (data, key) => md5Sign(data + key);

// PROTOCOL §3's test vectors: check your code against these before going live.
const UID = "3928857";
const KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const ORDER_NO = "020160427210604000490";
const PHONE = "13999999999";
const FACE_VALUE = 1000; // fen (分): 1000 = 10 元
const BALANCE_DATA =
  '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,' +
  '"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,' +
  '"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';

function printTestVectors() {
  console.log(orderPushSign(UID, ORDER_NO, PHONE, FACE_VALUE, KEY)); //  80fcb730498a656ec0bcba86da87b4dc
  console.log(callbackSign(UID, ORDER_NO, PHONE, FACE_VALUE, 4, KEY)); // 08a0571b935c2131236becf1e94f4686
  console.log(balanceQuerySign(UID, KEY)); //                             b81a8a1ffea6c14baf393c436267af18
  console.log(orderQuerySign(UID, ORDER_NO, KEY)); //                     620013c234e770e7a43c38fb6c685e27
  console.log(responseSign(BALANCE_DATA, KEY)); //                        576cf2f27945a2629c48480c88ac43d1
}

async function push(baseUrl, uid, key, notifyUrl) {
  // A fresh order_no for every new order (1-64 of [0-9A-Za-z_-]): the platform treats a repeated
  // order_no as the same order. Keep it to query the order and to match the callback.
  const orderNo = `EX${Date.now()}${crypto.randomBytes(4).toString("hex")}`;
  // A sandbox number (PROTOCOL §10): with the simulator channel, a number not ending in
  // 0010, 0009 or 0002 is recharged (status 4) and called back.
  const phoneNumber = "13800000004";
  const faceValue = 1000;
  // A form post: URLSearchParams encodes the values as UTF-8 and sends them as
  // application/x-www-form-urlencoded;charset=UTF-8.
  const body = new URLSearchParams({
    uid,
    order_no: orderNo,
    order_type: "1", // 1 话费 (airtime)
    mobile_type: "1", // 1 中国移动
    phone_number: phoneNumber,
    face_value: String(faceValue),
    notify_url: notifyUrl,
    sign: orderPushSign(uid, orderNo, phoneNumber, faceValue, key),
  });
  console.error("order_no", orderNo);
  const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/1/api/oper/order`, { method: "POST", body });
  // The answer is JSON: {"code":"200","count":"1","msg":"Success"} once the order is stored;
  // code "400" with a msg saying why otherwise; HTTP 503 means not stored, retry the same push.
  console.log(await res.text());
  return res.status === 200 ? 0 : 1;
}

const args = process.argv.slice(2);
if (args.length === 0) {
  printTestVectors();
} else if (args[0] === "push" && (args.length === 4 || args.length === 5)) {
  // The default notify_url is the demo receiver of `npm run up`; give your own as NOTIFY_URL.
  push(args[1], args[2], args[3], args[4] ?? "http://127.0.0.1:9099/callback").then(
    (code) => (process.exitCode = code),
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
} else {
  console.error("usage: node sign.js [push BASE_URL UID KEY [NOTIFY_URL]]");
  process.exitCode = 2;
}
