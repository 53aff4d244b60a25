/**
 * Baseline: the database's ceiling for taking an order — INSERTs of the same order row,
 * `connections` concurrent callers sharing a pool as large as the ingress processes' pools together.
 *  - simple: a plain one-row INSERT into orders through `pg` (the issue's "raw INSERT");
 *  - cte:    the platform's own OrderRepository.insert (serial number from the sequence, ON CONFLICT,
 *            history row; concurrent calls batched per event-loop turn) without HTTP, Express or
 *            Redis in front of it — what the ingress could reach if storing were all it did.
 */
import { performance } from "node:perf_hooks";
import { Pool } from "pg";
import { createDatabase, OrderRepository } from "../../packages/db/src";
import { serve } from "./rpc";
import { Samples } from "./stats";

const SIMPLE = `INSERT INTO orders (serial_number, operator_id, order_no, order_type, mobile_type, phone_number,
    face_value, settlement_rate_bp, notify_url, client_ip, next_check_at)
  VALUES ($1, $2::bigint, $3, $4::smallint, $5::smallint, $6, $7::integer, $8::integer, $9, $10, now())`;

interface RunArgs {
  databaseUrl: string;
  mode: "simple" | "cte";
  operatorId: string;
  connections: number;
  poolMax: number;
  duration: number;
  tag: string;
}

async function run(a: RunArgs) {
  const pool = new Pool({ connectionString: a.databaseUrl, max: a.poolMax });
  const db = createDatabase(a.databaseUrl, { poolMax: a.poolMax });
  const orders = new OrderRepository(db);
  let seq = 0;
  let errors = 0;
  let firstError: string | null = null;
  const notify = "http://127.0.0.1:9/callback";
  const one = async (latency: Samples) => {
    const n = seq++;
    const orderNo = `${a.tag}_${n}_${Date.now()}`;
    const t0 = performance.now();
    try {
      if (a.mode === "simple") {
        await pool.query(SIMPLE, [`${a.tag}${n}`, a.operatorId, orderNo, 1, 1, "13912345678", 1000, 9900, notify, "127.0.0.1"]);
      } else {
        await orders.insert({
          operatorId: a.operatorId, orderNo, orderType: 1, mobileType: 1, phoneNumber: "13912345678", faceValue: 1000,
          settlementRateBp: 9900, notifyUrl: notify, clientIp: "127.0.0.1",
        });
      }
      latency.add(performance.now() - t0);
    } catch (error) {
      errors++;
      firstError ??= (error as Error).message;
    }
  };
  // open the pool's connections and prepare the plan before measuring
  const warm = new Samples();
  for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: Math.min(a.poolMax, a.connections) }, () => one(warm)));
  const s = new Samples();
  const started = performance.now();
  const deadline = started + a.duration * 1000;
  await Promise.all(
    Array.from({ length: a.connections }, async () => {
      while (performance.now() < deadline) await one(s);
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  await pool.end();
  await db.close();
  return {
    mode: a.mode,
    connections: a.connections,
    poolMax: a.poolMax,
    durationS: elapsedS,
    inserted: s.count,
    ratePerS: s.count / elapsedS,
    errors,
    firstError,
    latencyMs: s.summary(),
  };
}

serve({ run });
