<?php
// Signing the operator protocol (PROTOCOL §3) in PHP (7.1 or later), no extensions needed.
//
//   php sign.php                                     prints the signs of §3's five test vectors
//   php sign.php push BASE_URL UID KEY [NOTIFY_URL]  pushes one sandbox test order
//
// The sign is the MD5 of the UTF-8 bytes of the fields concatenated in the table's order with
// nothing between them, then the md5key, written as 32 lower-case hex digits.

// PHP strings are bytes: md5() hashes them as they are. Keep every signed string in UTF-8 (save
// this file as UTF-8; convert with mb_convert_encoding() any text that comes from a GBK source).
// md5() returns lower-case hex, as the platform compares it.
function md5_sign(string $text): string
{
    return md5($text);
}

// One function per signed message. Plain concatenation in exactly this order: no separators,
// no field names, no sorting. Int fields ($face_value, $status) enter as plain decimal text
// ("1000", never "1000.0" or "01000"); order_no is a string and keeps its leading zeros.
function order_push_sign(string $uid, string $order_no, string $phone_number, int $face_value, string $key): string
{
    return md5_sign($uid . $order_no . $phone_number . $face_value . $key);
}

// Check this on every callback the platform sends to your notify_url before trusting it.
function callback_sign(string $uid, string $order_no, string $phone_number, int $face_value, int $status, string $key): string
{
    return md5_sign($uid . $order_no . $phone_number . $face_value . $status . $key);
}

function balance_query_sign(string $uid, string $key): string
{
    return md5_sign($uid . $key);
}

function order_query_sign(string $uid, string $order_no, string $key): string
{
    return md5_sign($uid . $order_no . $key);
}

// Query answers sign their `data` field: the exact string received, not a re-encoding
// (json_encode() would escape the Chinese characters and the slashes).
function response_sign(string $data, string $key): string
{
    return md5_sign($data . $key);
}

// PROTOCOL §3's test vectors: check your code against these before going live.
const UID = '3928857';
const KEY = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const ORDER_NO = '020160427210604000490';
const PHONE = '13999999999';
const FACE_VALUE = 1000; // fen (分): 1000 = 10 元
const BALANCE_DATA = '{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,'
    . '"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,'
    . '"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}';

function print_test_vectors(): void
{
    echo order_push_sign(UID, ORDER_NO, PHONE, FACE_VALUE, KEY), "\n";   // 80fcb730498a656ec0bcba86da87b4dc
    echo callback_sign(UID, ORDER_NO, PHONE, FACE_VALUE, 4, KEY), "\n";  // 08a0571b935c2131236becf1e94f4686
    echo balance_query_sign(UID, KEY), "\n";                             // b81a8a1ffea6c14baf393c436267af18
    echo order_query_sign(UID, ORDER_NO, KEY), "\n";                     // 620013c234e770e7a43c38fb6c685e27
    echo response_sign(BALANCE_DATA, KEY), "\n";                         // 576cf2f27945a2629c48480c88ac43d1
}

function push(string $base_url, string $uid, string $key, string $notify_url): int
{
    // A fresh order_no for every new order (1-64 of [0-9A-Za-z_-]): the platform treats a repeated
    // order_no as the same order. Keep it to query the order and to match the callback.
    $order_no = 'EX' . date('YmdHis') . bin2hex(random_bytes(4));
    // A sandbox number (PROTOCOL §10): with the simulator channel, a number not ending in
    // 0010, 0009 or 0002 is recharged (status 4) and called back.
    $phone_number = '13800000004';
    $face_value = 1000;
    $fields = [
        'uid' => $uid,
        'order_no' => $order_no,
        'order_type' => '1',   // 1 话费 (airtime)
        'mobile_type' => '1',  // 1 中国移动
        'phone_number' => $phone_number,
        'face_value' => (string) $face_value,
        'notify_url' => $notify_url,
        'sign' => order_push_sign($uid, $order_no, $phone_number, $face_value, $key),
    ];
    // A form post: application/x-www-form-urlencoded, the (UTF-8) values percent-encoded.
    $context = stream_context_create(['http' => [
        'method' => 'POST',
        'header' => "Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n",
        'content' => http_build_query($fields),
        'timeout' => 30,
        'ignore_errors' => true, // read the body of 503/429/413 answers too: they carry the envelope
    ]]);
    fwrite(STDERR, "order_no $order_no\n");
    $answer = file_get_contents(rtrim($base_url, '/') . '/1/api/oper/order', false, $context);
    if ($answer === false) {
        fwrite(STDERR, "no answer from $base_url\n");
        return 1;
    }
    // The answer is JSON: {"code":"200","count":"1","msg":"Success"} once the order is stored;
    // code "400" with a msg saying why otherwise; HTTP 503 means not stored, retry the same push.
    echo $answer, "\n";
    return preg_match('#^HTTP/\S+ 200\b#', $http_response_header[0] ?? '') ? 0 : 1;
}

$args = array_slice($argv, 1);
if (count($args) === 0) {
    print_test_vectors();
} elseif ($args[0] === 'push' && (count($args) === 4 || count($args) === 5)) {
    // The default notify_url is the demo receiver of `npm run up`; give your own as NOTIFY_URL.
    exit(push($args[1], $args[2], $args[3], $args[4] ?? 'http://127.0.0.1:9099/callback'));
} else {
    fwrite(STDERR, "usage: php sign.php [push BASE_URL UID KEY [NOTIFY_URL]]\n");
    exit(2);
}
