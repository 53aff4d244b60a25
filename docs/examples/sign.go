// Signing the operator protocol (PROTOCOL §3) in Go, standard library only.
//
//	go run sign.go                                     prints the signs of §3's five test vectors
//	go run sign.go push BASE_URL UID KEY [NOTIFY_URL]  pushes one sandbox test order
//
// The sign is the MD5 of the UTF-8 bytes of the fields concatenated in the table's order with
// nothing between them, then the md5key, written as 32 lower-case hex digits.
package main

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// md5Sign hashes the bytes of text (a Go string holding UTF-8, as every literal in a Go source
// file does) and writes the digest as lower-case hex, as the platform compares it.
func md5Sign(text string) string {
	sum := md5.Sum([]byte(text))
	return hex.EncodeToString(sum[:])
}

// One function per signed message. Plain concatenation in exactly this order: no separators,
// no field names, no sorting. Int fields (faceValue, status) enter as plain decimal text
// ("1000", never "1000.0" or "01000"); orderNo is a string and keeps its leading zeros.
func orderPushSign(uid, orderNo, phoneNumber string, faceValue int, key string) string {
	return md5Sign(uid + orderNo + phoneNumber + strconv.Itoa(faceValue) + key)
}

// callbackSign: check it on every callback the platform sends to your notify_url.
func callbackSign(uid, orderNo, phoneNumber string, faceValue, status int, key string) string {
	return md5Sign(uid + orderNo + phoneNumber + strconv.Itoa(faceValue) + strconv.Itoa(status) + key)
}

func balanceQuerySign(uid, key string) string { return md5Sign(uid + key) }

func orderQuerySign(uid, orderNo, key string) string { return md5Sign(uid + orderNo + key) }

// responseSign: query answers sign their `data` field, the exact string received, not a re-encoding.
func responseSign(data, key string) string { return md5Sign(data + key) }

// PROTOCOL §3's test vectors: check your code against these before going live.
const (
	testUID       = "3928857"
	testKey       = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
	testOrderNo   = "020160427210604000490"
	testPhone     = "13999999999"
	testFaceValue = 1000 // fen (分): 1000 = 10 元
	balanceData   = `{"code":200,"count":1,"data":{"accountBalance":138501,"billingDate":1614009600000,` +
		`"currency":"人民币","expenditure":0,"gmtCreate":1614058382000,"id":35,"income":1188,` +
		`"operatorName":"运营商","payMoney":1200,"paymentDetailId":54631,"record":"订单收款"},"msg":"success"}`
)

func printTestVectors() {
	fmt.Println(orderPushSign(testUID, testOrderNo, testPhone, testFaceValue, testKey))   // 80fcb730498a656ec0bcba86da87b4dc
	fmt.Println(callbackSign(testUID, testOrderNo, testPhone, testFaceValue, 4, testKey)) // 08a0571b935c2131236becf1e94f4686
	fmt.Println(balanceQuerySign(testUID, testKey))                                       // b81a8a1ffea6c14baf393c436267af18
	fmt.Println(orderQuerySign(testUID, testOrderNo, testKey))                            // 620013c234e770e7a43c38fb6c685e27
	fmt.Println(responseSign(balanceData, testKey))                                       // 576cf2f27945a2629c48480c88ac43d1
}

func push(baseURL, uid, key, notifyURL string) error {
	// A fresh order_no for every new order (1-64 of [0-9A-Za-z_-]): the platform treats a repeated
	// order_no as the same order. Keep it to query the order and to match the callback.
	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		return err
	}
	orderNo := "EX" + time.Now().Format("20060102150405") + hex.EncodeToString(random)
	// A sandbox number (PROTOCOL §10): with the simulator channel, a number not ending in
	// 0010, 0009 or 0002 is recharged (status 4) and called back.
	phoneNumber := "13800000004"
	faceValue := 1000
	form := url.Values{
		"uid":          {uid},
		"order_no":     {orderNo},
		"order_type":   {"1"}, // 1 话费 (airtime)
		"mobile_type":  {"1"}, // 1 中国移动
		"phone_number": {phoneNumber},
		"face_value":   {strconv.Itoa(faceValue)},
		"notify_url":   {notifyURL},
		"sign":         {orderPushSign(uid, orderNo, phoneNumber, faceValue, key)},
	}
	fmt.Fprintln(os.Stderr, "order_no", orderNo)
	// A form post: PostForm sends application/x-www-form-urlencoded, the values percent-encoded as UTF-8.
	client := &http.Client{Timeout: 30 * time.Second}
	res, err := client.PostForm(strings.TrimRight(baseURL, "/")+"/1/api/oper/order", form)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	answer, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	// The answer is JSON: {"code":"200","count":"1","msg":"Success"} once the order is stored;
	// code "400" with a msg saying why otherwise; HTTP 503 means not stored, retry the same push.
	fmt.Println(string(answer))
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return nil
}

func main() {
	args := os.Args[1:]
	switch {
	case len(args) == 0:
		printTestVectors()
	case args[0] == "push" && (len(args) == 4 || len(args) == 5):
		// The default notify_url is the demo receiver of `npm run up`; give your own as NOTIFY_URL.
		notifyURL := "http://127.0.0.1:9099/callback"
		if len(args) == 5 {
			notifyURL = args[4]
		}
		if err := push(args[1], args[2], args[3], notifyURL); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: go run sign.go [push BASE_URL UID KEY [NOTIFY_URL]]")
		os.Exit(2)
	}
}
