import { createServer } from "node:http";
import { callbackSign } from "@topup/protocol";

// A stand-in for an operator's callback endpoint: prints each callback, checks its sign, answers "ok".
const port = Number(process.env.DEMO_RECEIVER_PORT ?? 9099);
const key = process.env.DEMO_MD5KEY ?? "";

createServer((req, res) => {
  let raw = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (raw += chunk));
  req.on("end", () => {
    const f = Object.fromEntries(new URLSearchParams(raw));
    const expected = callbackSign(
      { uid: f.uid ?? "", orderNo: f.order_no ?? "", phoneNumber: f.phone_number ?? "", faceValue: Number(f.face_value), status: Number(f.status) },
      key,
    );
    const verdict = key ? (expected === f.sign ? "sign ok" : "SIGN MISMATCH") : "sign not checked";
    console.log(`[callback] ${new Date().toISOString()} ${raw}  (${verdict})`);
    res.end("ok");
  });
}).listen(port, "127.0.0.1", () => console.log(`[callback] receiver listening on http://127.0.0.1:${port}/callback`));
