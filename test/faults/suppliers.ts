/**
 * Upstream suppliers for the fault suite, on loopback: the e2e FakeSupplier with a plan per serial
 * (recharge, refuse, fail, hang, reset …), slow answers, and its own record of what it told the
 * platform about every serial and when — the suppliers' side of the upstream invariants.
 */
import { FakeSupplier, supplierCallback, type SupplierReply } from "../support/fake-supplier";
import type { SupplierRecords, SupplierSerial } from "./invariants";
import { sleep } from "./services";

/** What a supplier does with a serial, decided at its first push and kept for every later one. */
export type Plan =
  | "recharge" // takes it, recharges it a little later and calls back
  | "recharge-quietly" // the same without a callback: only a query tells
  | "refuse" // code "400" (not 订单号重复): definitive, every time it is pushed
  | "fail" // takes it, then reports it failed (statusId 10) and calls back
  | "hang" // takes it (and recharges it) but never answers the push
  | "reset-taken" // takes it (and recharges it), then drops the connection
  | "reset-lost"; // drops the connection before storing it: the next push is taken

/** Plans that leave the platform with an unknown outcome; only while the supplier is `unreliable`. */
const UNRELIABLE: ReadonlySet<Plan> = new Set<Plan>(["hang", "reset-taken", "reset-lost"]);

export interface SupplierScript {
  /** The channel code the platform knows the supplier by. */
  code: string;
  uid: string;
  key: string;
  /** How long a push waits for its answer, ms (uniform). */
  pushDelayMs: [number, number];
  /** From taking an order to its final status, ms (uniform). */
  settleDelayMs: [number, number];
  /** Relative weights of the plans. */
  plans: Partial<Record<Plan, number>>;
}

interface Serial extends SupplierSerial {
  plan: Plan;
  pushes: number;
}

const REFUSAL = "面值暂不支持";
const DUPLICATE = "订单号重复";
const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);

export class ScriptedSupplier implements SupplierRecords {
  readonly code: string;
  readonly serials = new Map<string, Serial>();
  /** While true, serials may get the plans that leave the platform unsure (hangs, resets). */
  unreliable = true;
  private readonly fake: FakeSupplier;
  private readonly pending = new Set<Promise<void>>();
  private closed = false;
  /** Pushes received and not yet answered. */
  inFlight = 0;

  constructor(private readonly script: SupplierScript) {
    this.code = script.code;
    this.fake = new FakeSupplier(script.uid, script.key);
    this.fake.onPush = (fields) => this.push(fields);
  }

  get url(): string {
    return this.fake.url;
  }

  get uid(): string {
    return this.script.uid;
  }

  get key(): string {
    return this.script.key;
  }

  async start(): Promise<this> {
    await this.fake.start();
    return this;
  }

  /** Stops settling and calling back, and closes the server. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    await this.fake.close();
  }

  /** How many serials got each plan. */
  plansUsed(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.serials.values()) out[s.plan] = (out[s.plan] ?? 0) + 1;
    return out;
  }

  pushCount(): number {
    return this.fake.pushes.length;
  }

  private async push(fields: Record<string, string>): Promise<SupplierReply> {
    this.inFlight++;
    try {
      return await this.answer(fields);
    } finally {
      this.inFlight--;
    }
  }

  private async answer(fields: Record<string, string>): Promise<SupplierReply> {
    const serial = this.recordPush(fields.order_no);
    await sleep(between(this.script.pushDelayMs));
    if (serial.plan === "refuse") {
      serial.definitiveAt ??= Date.now();
      return this.fake.refuse(REFUSAL);
    }
    // A serial it already holds is answered as a real supplier would; the platform then queries it.
    if (this.fake.orders.has(fields.order_no)) return this.fake.refuse(DUPLICATE);
    if (serial.plan === "reset-lost" && serial.pushes === 1) return "reset";
    const taken = this.fake.take(fields);
    this.settleLater(fields, serial);
    if (serial.plan === "hang" && serial.pushes === 1) return "hang";
    if (serial.plan === "reset-taken" && serial.pushes === 1) return "reset";
    return taken;
  }

  private recordPush(orderNo: string): Serial {
    let serial = this.serials.get(orderNo);
    if (!serial) {
      serial = { plan: this.choosePlan(), pushes: 0, firstPushAt: Date.now(), definitiveAt: null, recharged: false };
      this.serials.set(orderNo, serial);
    }
    serial.pushes++;
    return serial;
  }

  private choosePlan(): Plan {
    const weights = Object.entries(this.script.plans).filter(([plan]) => this.unreliable || !UNRELIABLE.has(plan as Plan)) as [Plan, number][];
    let roll = Math.random() * weights.reduce((n, [, w]) => n + w, 0);
    for (const [plan, weight] of weights) {
      roll -= weight;
      if (roll < 0) return plan;
    }
    return "recharge";
  }

  /** The order's final status at the supplier after a while, told by callback unless the plan is quiet. */
  private settleLater(fields: Record<string, string>, serial: Serial): void {
    const work = (async () => {
      await sleep(between(this.script.settleDelayMs));
      const order = this.fake.orders.get(fields.order_no);
      if (this.closed || !order) return;
      const failed = serial.plan === "fail";
      order.statusId = failed ? 10 : 4;
      if (failed) serial.definitiveAt = Date.now();
      else serial.recharged = true;
      if (serial.plan !== "recharge-quietly") await this.callBack(fields, failed ? 10 : 4);
    })();
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** One callback to the push's notify_url; a lost one is what the platform's queries are for. */
  private async callBack(fields: Record<string, string>, status: 4 | 10): Promise<void> {
    const body = supplierCallback({
      uid: this.script.uid,
      key: this.script.key,
      serial: fields.order_no,
      phone: fields.phone_number,
      faceValue: Number(fields.face_value),
      status,
      mobileOrderNo: status === 4 ? `M${fields.order_no}` : "",
    });
    try {
      const res = await fetch(fields.notify_url, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
        signal: AbortSignal.timeout(5_000),
      });
      await res.text();
    } catch {
      // not delivered: the platform's next query finds the status
    }
  }
}
