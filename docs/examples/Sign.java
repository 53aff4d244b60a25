// Signing the operator protocol (PROTOCOL section 3) in Java (11 or later) with Apache commons-codec's
// DigestUtils, as the integration document does (Maven: commons-codec:commons-codec; Debian:
// libcommons-codec-java).
//
//   javac -cp /usr/share/java/commons-codec.jar Sign.java
//   java -cp .:/usr/share/java/commons-codec.jar Sign                                  prints the signs of section 3's five test vectors
//   java -cp .:/usr/share/java/commons-codec.jar Sign push BASE_URL UID KEY [NOTIFY_URL]  pushes one sandbox test order
//
// The sign is the MD5 of the UTF-8 bytes of the fields concatenated in the table's order with
// nothing between them, then the md5key, written as 32 lower-case hex digits.

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.commons.codec.digest.DigestUtils;

public class Sign {

    /**
     * The document's {@code DigestUtils.md5Hex(getContentBytes(text, "UTF-8")).toLowerCase()}:
     * always the UTF-8 bytes (plain {@code getBytes()} would use the platform's charset, GBK on many
     * Chinese servers, and sign Chinese text differently); md5Hex already writes lower case.
     */
    static String md5Sign(String text) {
        return DigestUtils.md5Hex(text.getBytes(StandardCharsets.UTF_8)).toLowerCase();
    }

    // One method per signed message. Plain concatenation in exactly this order: no separators,
    // no field names, no sorting. Int fields (faceValue, status) enter as plain decimal text
    // ("1000", never "1000.0" or "01000"); orderNo is a String and keeps its leading zeros.
    static String orderPushSign(String uid, String orderNo, String phoneNumber, int faceValue, String key) {
        return md5Sign(uid + orderNo + phoneNumber + faceValue + key);
    }

    /** Check this on every callback the platform sends to your notify_url before trusting it. */
    static String callbackSign(String uid, String orderNo, String phoneNumber, int faceValue, int status, String key) {
        return md5Sign(uid + orderNo + phoneNumber + faceValue + status + key);
    }

    static String balanceQuerySign(String uid, String key) {
        return md5Sign(uid + key);
    }

    static String orderQuerySign(String uid, String orderNo, String key) {
        return md5Sign(uid + orderNo + key);
    }

    /** Query answers sign their {@code data} field: the exact string received, not a re-serialisation. */
    static String responseSign(String data, String key) {
        return md5Sign(data + key);
    }

    // PROTOCOL section 3's test vectors: check your code against these before going live.
    static final String UID = "3928857";
    static final String KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
    static final String ORDER_NO = "020160427210604000490";
    static final String PHONE = "13999999999";
    static final int FACE_VALUE = 1000; // fen: 1000 = 10 yuan
    // The Chinese text (renminbi, operator name, order receipt) is written as backslash-u escapes
    // and this file is plain ASCII, so it compiles to the same string whatever javac's default
    // source encoding is (without -encoding UTF-8 it follows the locale, ASCII on many servers).
    static final String BALANCE_DATA = "{\"code\":200,\"count\":1,\"data\":{\"accountBalance\":138501,\"billingDate\":1614009600000,"
            + "\"currency\":\"\u4eba\u6c11\u5e01\",\"expenditure\":0,\"gmtCreate\":1614058382000,\"id\":35,\"income\":1188,"
            + "\"operatorName\":\"\u8fd0\u8425\u5546\",\"payMoney\":1200,\"paymentDetailId\":54631,\"record\":\"\u8ba2\u5355\u6536\u6b3e\"},\"msg\":\"success\"}";

    static void printTestVectors() {
        System.out.println(orderPushSign(UID, ORDER_NO, PHONE, FACE_VALUE, KEY));   // 80fcb730498a656ec0bcba86da87b4dc
        System.out.println(callbackSign(UID, ORDER_NO, PHONE, FACE_VALUE, 4, KEY)); // 08a0571b935c2131236becf1e94f4686
        System.out.println(balanceQuerySign(UID, KEY));                             // b81a8a1ffea6c14baf393c436267af18
        System.out.println(orderQuerySign(UID, ORDER_NO, KEY));                     // 620013c234e770e7a43c38fb6c685e27
        System.out.println(responseSign(BALANCE_DATA, KEY));                        // 576cf2f27945a2629c48480c88ac43d1
    }

    static int push(String baseUrl, String uid, String key, String notifyUrl) throws Exception {
        // A fresh order_no for every new order (1-64 of [0-9A-Za-z_-]): the platform treats a
        // repeated order_no as the same order. Keep it to query the order and to match the callback.
        String orderNo = "EX" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss"))
                + String.format("%08x", new SecureRandom().nextInt());
        // A sandbox number (PROTOCOL section 10): with the simulator channel, a number not ending in
        // 0010, 0009 or 0002 is recharged (status 4) and called back.
        String phoneNumber = "13800000004";
        int faceValue = 1000;
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("uid", uid);
        fields.put("order_no", orderNo);
        fields.put("order_type", "1");  // 1 = airtime
        fields.put("mobile_type", "1"); // 1 = China Mobile
        fields.put("phone_number", phoneNumber);
        fields.put("face_value", String.valueOf(faceValue));
        fields.put("notify_url", notifyUrl);
        fields.put("sign", orderPushSign(uid, orderNo, phoneNumber, faceValue, key));
        // A form post: application/x-www-form-urlencoded, the values percent-encoded as UTF-8.
        String form = fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl.replaceAll("/+$", "") + "/1/api/oper/order"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8))
                .build();
        System.err.println("order_no " + orderNo);
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        // The answer is JSON: {"code":"200","count":"1","msg":"Success"} once the order is stored;
        // code "400" with a msg saying why otherwise; HTTP 503 means not stored, retry the same push.
        System.out.println(response.body());
        return response.statusCode() == 200 ? 0 : 1;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            printTestVectors();
        } else if (args[0].equals("push") && (args.length == 4 || args.length == 5)) {
            // The default notify_url is the demo receiver of `npm run up`; give your own as NOTIFY_URL.
            String notifyUrl = args.length == 5 ? args[4] : "http://127.0.0.1:9099/callback";
            System.exit(push(args[1], args[2], args[3], notifyUrl));
        } else {
            System.err.println("usage: java -cp .:commons-codec.jar Sign [push BASE_URL UID KEY [NOTIFY_URL]]");
            System.exit(2);
        }
    }
}
