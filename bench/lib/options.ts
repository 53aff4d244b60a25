/** Command-line options of `npm run bench -- [flags]`. */

export interface Options {
  /** Seconds of each measured phase (saturation, paced, end-to-end). */
  duration: number;
  /** Seconds of each baseline phase. */
  baselineDuration: number;
  /** Concurrent keep-alive connections of the load generator (and concurrent callers of the baselines). */
  connections: number;
  /** Ingress processes (each on its own port; the load generator spreads connections over them). */
  ingress: number;
  /** Worker processes. */
  workers: number;
  /** Seconds of warm-up before the measured phases of each stack (not measured). */
  warmup: number;
  /** Fixed push rates (orders/s) at which end-to-end latency is measured. */
  e2eRates: number[];
  /** Run the fixed-rate end-to-end phases even above the measured capacity (they then cannot drain). */
  forceRates: boolean;
  /** Orders in flight end to end (pushed, not yet called back) in the capacity phase. */
  e2eWindow: number;
  /** Seconds to wait for outstanding callbacks after an end-to-end phase stops pushing. */
  drainTimeout: number;
  /** Write V8 CPU profiles of every platform process and summarise them per phase. */
  profile: boolean;
  /** Run on a private PostgreSQL cluster with pg_stat_statements (per-statement counts and times). */
  pgss: boolean;
  /**
   * Run on a private PostgreSQL cluster with autovacuum on (naptime 10 s), as a production server
   * runs; the machine's own server has autovacuum off.
   */
  autovacuum: boolean;
  /** Phase groups to run. */
  only: Set<PhaseGroup>;
  /** Abort (and clean up) after this many minutes whatever happens. */
  maxMinutes: number;
  /** Where the JSON report goes (default bench/results/bench-<run id>.json). */
  out?: string;
  redisUrl: string;
}

export const PHASE_GROUPS = ["baselines", "ingress", "e2e", "chain"] as const;
export type PhaseGroup = (typeof PHASE_GROUPS)[number];

const HELP = `npm run bench -- [flags]

  --duration S           seconds per measured phase (default 10)
  --baseline-duration S  seconds per baseline phase (default min(duration, 5))
  --connections N        load generator connections / baseline concurrency (default 50)
  --ingress N            ingress processes (default 1)
  --workers M            worker processes (default 1)
  --warmup S             warm-up seconds per stack (default 2)
  --e2e-rates R[,R…]     fixed push rates for end-to-end latency (default 1000)
  --force-rates          run the fixed-rate phases even when they exceed the measured capacity
                         (otherwise such a rate is reported as not sustainable and skipped)
  --e2e-window W         orders in flight end to end in the capacity phase (default 250 per worker
                         process: enough to keep every worker's 50+50 job slots busy, small enough to drain)
  --drain-timeout S      max seconds to wait for callbacks after pushing stops (default 30)
  --profile              V8 CPU profiles of ingress/worker/express processes, summarised per phase
  --pgss                 private PostgreSQL cluster with pg_stat_statements (per-statement breakdown)
  --autovacuum           private PostgreSQL cluster (as --pgss) with autovacuum on, naptime 10 s, as a
                         production server runs (the machine's server runs with autovacuum off)
  --only LIST            comma list of baselines,ingress,e2e,chain (default all; chain: platform A →
                         upstream channel → platform B, each with --ingress and --workers processes)
  --max-minutes M        hard stop, with cleanup (default 20)
  --out FILE             JSON report path (default bench/results/bench-<id>.json)
`;

export function parseOptions(argv: string[]): Options {
  const o: Options = {
    duration: 10,
    baselineDuration: NaN,
    connections: 50,
    ingress: 1,
    workers: 1,
    warmup: 2,
    e2eRates: [1000],
    forceRates: false,
    e2eWindow: NaN,
    drainTimeout: 30,
    profile: false,
    pgss: false,
    autovacuum: false,
    only: new Set(PHASE_GROUPS),
    maxMinutes: 20,
    redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  };
  const num = (flag: string, v: string | undefined, min: number, max: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max) throw new Error(`${flag} needs a number between ${min} and ${max}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--duration": o.duration = num(flag, value(), 1, 3600); break;
      case "--baseline-duration": o.baselineDuration = num(flag, value(), 1, 600); break;
      case "--connections": o.connections = Math.round(num(flag, value(), 1, 2000)); break;
      case "--ingress": o.ingress = Math.round(num(flag, value(), 1, 16)); break;
      case "--workers": o.workers = Math.round(num(flag, value(), 1, 16)); break;
      case "--warmup": o.warmup = num(flag, value(), 0, 60); break;
      case "--e2e-rates": o.e2eRates = String(value()).split(",").filter(Boolean).map((r) => num(flag, r, 1, 100_000)); break;
      case "--e2e-window": o.e2eWindow = Math.round(num(flag, value(), 1, 1_000_000)); break;
      case "--drain-timeout": o.drainTimeout = num(flag, value(), 1, 3600); break;
      case "--profile": o.profile = true; break;
      case "--force-rates": o.forceRates = true; break;
      case "--pgss": o.pgss = true; break;
      case "--autovacuum": o.autovacuum = true; break;
      case "--only": {
        const parts = String(value()).split(",").filter(Boolean);
        for (const p of parts) if (!(PHASE_GROUPS as readonly string[]).includes(p)) throw new Error(`--only: unknown phase group ${p}`);
        o.only = new Set(parts as PhaseGroup[]);
        break;
      }
      case "--max-minutes": o.maxMinutes = num(flag, value(), 1, 24 * 60); break;
      case "--out": o.out = value(); break;
      case "--help":
      case "-h":
        process.stdout.write(HELP);
        process.exit(0);
      default:
        throw new Error(`unknown flag ${argv[i]}\n\n${HELP}`);
    }
  }
  if (!Number.isFinite(o.baselineDuration)) o.baselineDuration = Math.min(o.duration, 5);
  if (!Number.isFinite(o.e2eWindow)) o.e2eWindow = 250 * o.workers;
  return o;
}
