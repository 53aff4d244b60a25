/** §3 test vectors, reproduced by the conformance client alone (no platform involved). */
import { md5, shanghaiMidnight, sign } from "./client";

const uid = "3928857";
const key = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const orderNo = "020160427210604000490";
const phone = "13999999999";
const face = "1000";

describe("§3 signature test vectors", () => {
  test("order push", () => {
    expect(sign.push(uid, orderNo, phone, face, key)).toBe("80fcb730498a656ec0bcba86da87b4dc");
  });
  test("callback with status 4", () => {
    expect(sign.callback(uid, orderNo, phone, face, "4", key)).toBe("08a0571b935c2131236becf1e94f4686");
  });
  test("balance query", () => {
    expect(sign.balance(uid, key)).toBe("b81a8a1ffea6c14baf393c436267af18");
  });
  test("order query", () => {
    expect(sign.query(uid, orderNo, key)).toBe("620013c234e770e7a43c38fb6c685e27");
  });
  test("balance response over the document's example data (compact, UTF-8)", () => {
    const data =
      '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';
    expect(sign.response(data, key)).toBe("576cf2f27945a2629c48480c88ac43d1");
    // the example is already compact and round-trips through JSON unchanged (key order kept)
    expect(JSON.stringify(JSON.parse(data))).toBe(data);
  });
  test("md5 is over UTF-8 bytes, lowercase hex", () => {
    expect(md5("")).toBe("d41d8cd98f00b204e9800998ecf8427e");
    expect(md5("人民币")).toBe(require("node:crypto").createHash("md5").update(Buffer.from([0xe4, 0xba, 0xba, 0xe6, 0xb0, 0x91, 0xe5, 0xb8, 0x81])).digest("hex"));
  });
});

describe("§8 billingDate rule on the document's example", () => {
  test("1614058382000 → 1614009600000 (00:00 Asia/Shanghai)", () => {
    expect(shanghaiMidnight(1614058382000)).toBe(1614009600000);
  });
  test("a time just before / at Shanghai midnight", () => {
    expect(shanghaiMidnight(1614009600000)).toBe(1614009600000);
    expect(shanghaiMidnight(1614009599999)).toBe(1614009600000 - 86_400_000);
  });
});
