import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { Engine, defaultModelPath, summarizeLatency, type LatencySummary } from '@fraudstream/engine';
import { LiveGenerator, MAX_TPS } from '@fraudstream/sources';
import { num, parse, UsageError } from '../args.js';

export const help = `Usage: fraudstream bench --tps N|max --duration S [options]

Drives the real pipeline in this process at an offered rate: the live generator writes into the shared ring, the
engine cuts micro-batches for its piscina workers, the Rust addon scores them, completion counts the decisions.
After a warm-up (not measured) it measures for --duration seconds, stops the generator, drains the engine and
checks that every ingested transaction was decided. Reports sustained decided tx/s (decided in the window /
duration), ingest-to-decision latency (HDR histogram over every decision in the window), CPU (all threads) and
peak RSS.

--tps max offers without a pacing limit (the generator's ceiling, ${MAX_TPS.toLocaleString('en')}/s): the rate is
then set by backpressure alone (a full ring makes the generator wait), so the decided rate is the highest the
pipeline sustains.

Options:
  --tps N|max          offered transactions per second (required)
  --duration S         measured seconds, after the warm-up (required)
  --warmup S           seconds run before measuring (default 2)
  --workers N          scoring worker threads (default: the engine's, one per core)
  --json FILE          also write the result as JSON
  --model FILE         XGBoost JSON model (default: models/default.json)
  --customers N        simulated cards (default 5000)
  --max-batch N        engine micro-batch size (default: the engine's)
  --linger-ms X        engine linger (default: the engine's)
  --in-flight N        engine batches in flight (default: the engine's)
  --capacity N         ring slots, a power of two (default: the engine's)
  --seed N             generator seed (default 0)
`;

/** The JSON result (stable field names; see bench/RESULTS.md). */
export interface BenchResult {
  offeredTps: number | 'max';
  /** Transactions the generator wrote per second of the measured window. */
  generatedTps: number;
  /** Decisions in the measured window / durationS. */
  sustainedTps: number;
  durationS: number;
  warmupS: number;
  workers: number;
  /** Totals over the whole run (warm-up, window and drain): ingested == decided + rejected when nothing is lost. */
  ingested: number;
  decided: number;
  rejected: number;
  labels: number;
  allDecided: boolean;
  /** Ingest-to-decision latency over every decision made in the measured window. */
  latencyMs: LatencySummary & { mean: number; count: number };
  /** Process CPU time (main thread + workers) / wall time of the window; 100 = one core. */
  cpuPercent: number;
  /** Decisions in the window per CPU-second the process used: the efficiency figure, robust to a shared machine. */
  decidedPerCpuSecond: number;
  peakRssMb: number;
  /** Times the generator found the ring full (backpressure), in the window. */
  backpressureWaits: number;
  /** Decided tx/s in each second of the window. */
  perSecondTps: number[];
  batches: { dispatched: number; meanSize: number };
  engine: { maxBatch: number; lingerMs: number; maxInFlightBatches: number; capacity: number };
  date: string;
  machine: { cores: number; cpu: string; node: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    tps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    workers: { type: 'string' },
    json: { type: 'string' },
    model: { type: 'string' },
    customers: { type: 'string' },
    'max-batch': { type: 'string' },
    'linger-ms': { type: 'string' },
    'in-flight': { type: 'string' },
    capacity: { type: 'string' },
    seed: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  if (a.tps === undefined) throw new UsageError('--tps is required (a rate or max)');
  if (a.duration === undefined) throw new UsageError('--duration is required');
  const offered = a.tps === 'max' ? ('max' as const) : num(a.tps, 'tps', 1, MAX_TPS, 0);
  const durationS = num(a.duration, 'duration', 0.1, 3600, 0, false);
  const warmupS = num(a.warmup, 'warmup', 0, 600, 2, false);
  const opt = (v: unknown, flag: string, min: number, max: number, integer = true): number | undefined =>
    v === undefined ? undefined : num(v, flag, min, max, 0, integer);
  const workers = opt(a.workers, 'workers', 1, 64);
  const maxBatch = opt(a['max-batch'], 'max-batch', 1, 1 << 24);
  const lingerMs = opt(a['linger-ms'], 'linger-ms', 0, 1000, false);
  const maxInFlightBatches = opt(a['in-flight'], 'in-flight', 1, 1024);
  const capacity = opt(a.capacity, 'capacity', 16, 1 << 24);
  if (capacity !== undefined && (capacity & (capacity - 1)) !== 0) throw new UsageError('--capacity must be a power of two');
  const customers = num(a.customers, 'customers', 1, 10_000_000, 5000);
  const seed = num(a.seed, 'seed', 0, 2 ** 32 - 1, 0);
  const modelPath = typeof a.model === 'string' ? a.model : defaultModelPath();
  const modelJson = readFileSync(modelPath, 'utf8');

  const engine = await Engine.create({
    modelJson,
    modelVersion: `bench-${createHash('sha256').update(modelJson).digest('hex').slice(0, 8)}`,
    ...(workers === undefined ? {} : { workers }),
    ...(maxBatch === undefined ? {} : { maxBatch }),
    ...(lingerMs === undefined ? {} : { lingerMs }),
    ...(maxInFlightBatches === undefined ? {} : { maxInFlightBatches }),
    ...(capacity === undefined ? {} : { capacity }),
  });
  const generator = new LiveGenerator({ sink: engine.sink, tps: offered === 'max' ? MAX_TPS : offered, customers, seed });
  // The feed and alerts are drained as the server would (every 100 ms), so their cost is part of the run.
  const drainer = setInterval(() => engine.drainEvents(20, 200), 100);
  let result: BenchResult;
  try {
    generator.start();
    await sleep(warmupS * 1000);

    const startLatency = engine.latencyTotal();
    const s0 = engine.stats();
    const g0 = generator.stats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const perSecondTps: number[] = [];
    let lastDecided = s0.counts.decided;
    let invariantBroken = '';
    const endAt = t0 + durationS * 1000;
    for (let next = t0 + 1000; ; next += 1000) {
      const stop = Math.min(next, endAt);
      await sleep(Math.max(0, stop - performance.now()));
      const s = engine.stats();
      const c = s.counts;
      if (c.ingested !== c.decided + c.rejected + c.inFlight) invariantBroken = JSON.stringify(c);
      const elapsed = (stop - (next - 1000)) / 1000;
      perSecondTps.push(Math.round((c.decided - lastDecided) / elapsed));
      lastDecided = c.decided;
      if (stop >= endAt) break;
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const s1 = engine.stats();
    const g1 = generator.stats();
    const window = engine.latencyTotal();
    window.subtract(startLatency);
    generator.stop();
    await engine.drain();
    const end = engine.stats();
    if (invariantBroken !== '') throw new Error(`ingested != decided + rejected + inFlight in a snapshot: ${invariantBroken}`);
    const c = end.counts;
    result = {
      offeredTps: offered,
      generatedTps: Math.round((g1.generated - g0.generated) / wallS),
      sustainedTps: Math.round((s1.counts.decided - s0.counts.decided) / durationS),
      durationS,
      warmupS,
      workers: end.workers.count,
      ingested: c.ingested,
      decided: c.decided,
      rejected: c.rejected,
      labels: end.labels,
      allDecided: c.inFlight === 0 && c.ingested === c.decided + c.rejected,
      latencyMs: { ...summarizeLatency(window), mean: Math.round(window.mean) / 1000, count: window.totalCount },
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 1000) / 10,
      decidedPerCpuSecond: Math.round((s1.counts.decided - s0.counts.decided) / ((cpu.user + cpu.system) / 1e6)),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      backpressureWaits: g1.backpressureWaits - g0.backpressureWaits,
      perSecondTps,
      batches: end.batches,
      engine: {
        maxBatch: engine.options.maxBatch,
        lingerMs: engine.options.lingerMs,
        maxInFlightBatches: engine.options.maxInFlightBatches,
        capacity: engine.options.capacity,
      },
      date: new Date().toISOString(),
      machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
    };
  } finally {
    clearInterval(drainer);
    generator.stop();
    await engine.close();
  }
  if (typeof a.json === 'string') writeFileSync(a.json, `${JSON.stringify(result, null, 2)}\n`);
  const l = result.latencyMs;
  process.stdout.write(
    `offered ${offered === 'max' ? 'max' : offered.toLocaleString('en')}/s, ${result.workers} workers, ${durationS} s after ${warmupS} s warm-up\n` +
      `sustained ${result.sustainedTps.toLocaleString('en')} decided tx/s (generated ${result.generatedTps.toLocaleString('en')}/s)\n` +
      `latency ms p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} max ${l.max} (${l.count.toLocaleString('en')} decisions)\n` +
      `cpu ${result.cpuPercent}% (${result.decidedPerCpuSecond.toLocaleString('en')} decided per cpu-second), peak rss ${result.peakRssMb} MB, batches ${result.batches.dispatched} of ${result.batches.meanSize.toFixed(0)} mean\n` +
      `ingested ${result.ingested} decided ${result.decided} rejected ${result.rejected}: ${result.allDecided ? 'all decided' : 'NOT ALL DECIDED'}\n`,
  );
  return result.allDecided ? 0 : 1;
}
