#!/usr/bin/env python3
"""Signing the operator protocol (PROTOCOL §3) in Python, standard library only.

    python3 sign.py                                  prints the signs of §3's five test vectors
    python3 sign.py push BASE_URL UID KEY [NOTIFY_URL]   pushes one sandbox test order

The sign is the MD5 of the UTF-8 bytes of the fields concatenated in the table's order with
nothing between them, then the md5key, written as 32 lower-case hex digits.
"""
import hashlib
import sys
import time
import secrets
import urllib.error
import urllib.parse
import urllib.request


def md5_sign(text: str) -> str:
    # Hash the UTF-8 bytes (never another encoding: some signed data is Chinese) and write the
    # digest in lower case, as the platform compares it (hexdigest() is already lower case).
    return hashlib.md5(text.encode("utf-8")).hexdigest()


# One function per signed message. Plain concatenation in exactly this order: no separators,
# no field names, no sorting. Int fields (face_value, status) enter as plain decimal text
# ("1000", never "1000.0" or "01000"); order_no is a string and keeps its leading zeros.
def order_push_sign(uid: str, order_no: str, phone_number: str, face_value: int, key: str) -> str:
    return md5_sign(uid + order_no + phone_number + str(face_value) + key)


def callback_sign(uid: str, order_no: str, phone_number: str, face_value: int, status: int, key: str) -> str:
    # Check this on every callback the platform sends to your notify_url before trusting it.
    return md5_sign(uid + order_no + phone_number + str(face_value) + str(status) + key)


def balance_query_sign(uid: str, key: str) -> str:
    return md5_sign(uid + key)


def order_query_sign(uid: str, order_no: str, key: str) -> str:
    return md5_sign(uid + order_no + key)


def response_sign(data: str, key: str) -> str:
    # Query answers sign their `data` field: the exact string received, not a re-serialisation.
    return md5_sign(data + key)


# PROTOCOL §3's test vectors: check your code against these before going live.
UID = "3928857"
KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
ORDER_NO = "020160427210604000490"
PHONE = "13999999999"
FACE_VALUE = 1000  # fen (分): 1000 = 10 元
BALANCE_DATA = ('{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,'
                '"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,'
                '"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}')


def print_test_vectors() -> None:
    print(order_push_sign(UID, ORDER_NO, PHONE, FACE_VALUE, KEY))    # 80fcb730498a656ec0bcba86da87b4dc
    print(callback_sign(UID, ORDER_NO, PHONE, FACE_VALUE, 4, KEY))   # 08a0571b935c2131236becf1e94f4686
    print(balance_query_sign(UID, KEY))                              # b81a8a1ffea6c14baf393c436267af18
    print(order_query_sign(UID, ORDER_NO, KEY))                      # 620013c234e770e7a43c38fb6c685e27
    print(response_sign(BALANCE_DATA, KEY))                          # 576cf2f27945a2629c48480c88ac43d1


def push(base_url: str, uid: str, key: str, notify_url: str) -> int:
    # A fresh order_no for every new order (1-64 of [0-9A-Za-z_-]): the platform treats a repeated
    # order_no as the same order. Keep it to query the order and to match the callback.
    order_no = "EX" + time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(4)
    # A sandbox number (PROTOCOL §10): with the simulator channel, a number not ending in
    # 0010, 0009 or 0002 is recharged (status 4) and called back.
    phone_number = "13800000004"
    face_value = 1000
    fields = {
        "uid": uid,
        "order_no": order_no,
        "order_type": "1",   # 1 话费 (airtime)
        "mobile_type": "1",  # 1 中国移动
        "phone_number": phone_number,
        "face_value": str(face_value),
        "notify_url": notify_url,
        "sign": order_push_sign(uid, order_no, phone_number, face_value, key),
    }
    # A form post: application/x-www-form-urlencoded, the values percent-encoded as UTF-8.
    body = urllib.parse.urlencode(fields).encode("ascii")
    request = urllib.request.Request(
        base_url.rstrip("/") + "/1/api/oper/order", data=body, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    print("order_no", order_no, file=sys.stderr)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, answer = response.status, response.read()
    except urllib.error.HTTPError as error:  # 503/429/413 still carry the JSON envelope
        status, answer = error.code, error.read()
    # The answer is JSON: {"code":"200","count":"1","msg":"Success"} once the order is stored;
    # code "400" with a msg saying why otherwise; HTTP 503 means not stored, retry the same push.
    print(answer.decode("utf-8"))
    return 0 if status == 200 else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        print_test_vectors()
    elif args[0] == "push" and len(args) in (4, 5):
        # The default notify_url is the demo receiver of `npm run up`; give your own as NOTIFY_URL.
        sys.exit(push(args[1], args[2], args[3], args[4] if len(args) == 5 else "http://127.0.0.1:9099/callback"))
    else:
        sys.exit("usage: python3 sign.py [push BASE_URL UID KEY [NOTIFY_URL]]")
