/**
 * Baseline: the database's ceiling for taking an order — single-row INSERTs of the same order row
 * through `pg` (no Prisma), `connections` concurrent callers sharing a pool as large as the ingress
 * processes' pools together. Two statements:
 *  - simple: a plain one-row INSERT into orders (the issue's "raw INSERT");
 *  - cte:    the platform's own insert statement (OrderRepository.insert: serial number from the
 *            sequence, ON CONFLICT, history row) sent through plain `pg`, which separates the
 *            statement's cost from the Prisma layer's.
 */
import { performance } from "node:perf_hooks";
import { Pool } from "pg";
import { serve } from "./rpc";
import { Samples } from "./stats";

const SIMPLE = `INSERT INTO orders (serial_number, operator_id, order_no, order_type, mobile_type, phone_number,
    face_value, settlement_rate_bp, notify_url, client_ip, next_check_at)
  VALUES ($1, $2::bigint, $3, $4::smallint, $5::smallint, $6, $7::integer, $8::integer, $9, $10, now())`;

// The text of packages/db/src/order-repository.ts insert(), with Prisma's template parameters as $n.
const CTE = `
      WITH next AS (SELECT nextval(pg_get_serial_sequence('orders', 'id')) AS id),
      created AS (
        INSERT INTO orders (id, serial_number, operator_id, order_no, order_type, mobile_type, phone_number,
                            face_value, settlement_rate_bp, notify_url, client_ip, next_check_at)
        SELECT next.id,
               to_char(now() AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(next.id::text, 10, '0'),
               $1::bigint, $2, $3::smallint, $4::smallint,
               $5, $6::integer, $7::integer,
               $8, $9, now()
        FROM next
        ON CONFLICT (operator_id, order_no) DO NOTHING
        RETURNING *
      ),
      history AS (
        INSERT INTO order_transitions (order_id, from_status, to_status, reason, created_at)
        SELECT id, NULL, $10::smallint, 'accepted', created_at FROM created
      )
      SELECT * FROM created`;

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
        await pool.query(CTE, [a.operatorId, orderNo, 1, 1, "13912345678", 1000, 9900, notify, "127.0.0.1", 5]);
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
