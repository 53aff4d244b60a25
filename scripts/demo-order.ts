import { orderPushSign, orderQuerySign } from "@topup/protocol";

/**
 * Pushes one signed order as an operator would and follows it with the order query until it is
 * final: `npm run demo:order -- [phone_number] [face_value]`. Try 13800000010 (fails), 13800000009
 * (returned), 13800000002 (stays at 2 until an administrator resolves it).
 */
const baseUrl = process.env.DEMO_BASE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8088}`;
const uid = process.env.DEMO_UID ?? "3928857";
const key = process.env.DEMO_MD5KEY ?? "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const notifyUrl = process.env.DEMO_NOTIFY_URL ?? `http://127.0.0.1:${process.env.DEMO_RECEIVER_PORT ?? 9099}/callback`;
const [phone = "13912345678", faceValue = "1000"] = process.argv.slice(2);

async function post(path: string, fields: Record<string, string>, quiet = false): Promise<Record<string, string>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
  const text = await res.text();
  if (!quiet) console.log(`POST ${path} -> HTTP ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, string>;
}

async function main(): Promise<void> {
  const orderNo = `DEMO${Date.now()}`;
  const sign = orderPushSign({ uid, orderNo, phoneNumber: phone, faceValue: Number(faceValue) }, key);
  const pushed = await post("/1/api/oper/order", {
    uid, order_no: orderNo, order_type: "1", mobile_type: "1", phone_number: phone, face_value: faceValue, notify_url: notifyUrl, sign,
  });
  if (pushed.code !== "200") process.exit(1);
  // Follow the order through the order query, printing each status it reaches (and the last answer in full).
  let last = -1;
  for (let i = 0; i < 80; i++) {
    const answer = await post("/1/api/oper/query_order", { uid, order_no: orderNo, sign: orderQuerySign(uid, orderNo, key) }, true);
    const order = JSON.parse(answer.data).data as { statusId: number; statusName: string; mobileOrderNo: string };
    if (order.statusId !== last) {
      console.log(`order ${orderNo}: status ${order.statusId} ${order.statusName}${order.mobileOrderNo ? ` (mobileOrderNo ${order.mobileOrderNo})` : ""}`);
      last = order.statusId;
    }
    if ([4, 9, 10].includes(order.statusId) || (phone.endsWith("0002") && order.statusId === 2)) {
      console.log(`query_order answer: ${JSON.stringify(answer)}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
