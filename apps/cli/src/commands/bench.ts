import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { checkLaws, checkQuiescent, describeViolations, summarizeLatency, type LatencyHistogram, type LatencySummary, type LawViolation } from '@fraudstream/engine';
import { MAX_TPS } from '@fraudstream/sources';
import { createSystem, type Stats } from '@fraudstream/system';
import { num, parse, UsageError } from '../args.js';

export const help = `Usage: fraudstream bench --tps N|max --duration S [options]

Drives the real pipeline in this process at an offered rate, wired as \`start\` wires it (the system package): the
live generator writes into the shared ring, the engine cuts micro-batches for its piscina workers, the Rust addon
scores them. After a warm-up (not measured) it measures for --duration seconds, stops the generator and drains.

Reports sustained scored tx/s (transactions the scorer decided in the window / duration; decisions made by the
fallback are reported apart and never counted), latency from the pacing schedule to the decision and from the ring
slot to the decision (HDR histograms over every decision in the window), how long the generator was held back by a
full ring, CPU (all threads), peak RSS, and every count: written (by the generator), consumed (by the engine),
scored (by the Rust scorer), fallback, invalid, rejected, in flight.

It checks the conservation laws between the counts every second and after the drain (written == consumed + queue
depth; consumed == scored + invalid + fallback + in flight; outcomes == decisions; labels), and that the scorer's own
totals equal the engine's after the drain. Exit code 0 only when every law held and no transaction was decided by
the fallback (unless --allow-fallback); 1 otherwise.

--tps N paces the generator on a schedule (transaction k due at start + k/N); when the ring is full it owes the
transactions that fell due and writes them as soon as it can, each keeping its due time, so waiting counts as latency.
--tps max runs unpaced: the rate is set by backpressure alone, the highest the pipeline sustains (schedule latency then
equals ingest latency).

Options:
  --tps N|max          offered transactions per second (required; 1 to ${MAX_TPS.toLocaleString('en')})
  --duration S         measured seconds, after the warm-up (required)
  --warmup S           seconds run before measuring (default 2)
  --workers N          scoring worker threads (default: the engine's, one per core)
  --json FILE          also write the result as JSON
  --model FILE         XGBoost JSON model (default: models/default.json)
  --challenger FILE    a decision bundle scored in shadow beside the champion (champion/challenger): every batch is
                       scored twice; the result's challenger field holds its own counts
  --customers N        simulated cards (default 5000)
  --max-batch N        engine micro-batch size (default: the engine's)
  --linger-ms X        engine linger (default: the engine's)
  --in-flight N        engine batches in flight (default: the engine's)
  --capacity N         ring slots, a power of two (default: the engine's)
  --seed N             generator seed (default 0)
  --allow-fallback     exit 0 even when some transactions were decided by the fallback
  --data-dir DIR       durable mode, as 'start --data-dir': every decision to the decision log in DIR, aligned
                       checkpoints; DIR must not hold an earlier run (the bench would resume it): use a new one
  --checkpoint-interval S   seconds between checkpoints with --data-dir (default 10)
  --feature-log-sample R    with --data-dir: share of approvals in the served-feature log, 0..1, or off (no feature
                       log; default 0.02, as 'start')
  --label-log fraud|all     with --data-dir: the stream's labels kept in the label log (default fraud, as 'start')
  --no-served-logs     with --data-dir: neither the served-feature log nor the label log (to measure their cost)
  --cases              with --data-dir: open cases for REVIEW and DECLINE decisions in DIR/cases.sqlite, as 'start
                       --data-dir' does by default (off by default here, so earlier figures stay comparable)
`;

/** The JSON result (stable field names; see bench/RESULTS.md). */
export interface BenchResult {
  offeredTps: number | 'max';
  /** Transactions the generator wrote per second of the measured window. */
  generatedTps: number;
  /** Transactions the Rust scorer decided (status Scored) in the measured window / durationS. */
  sustainedTps: number;
  /** Fallback decisions in the window / durationS (never part of sustainedTps). */
  fallbackTps: number;
  durationS: number;
  warmupS: number;
  workers: number;
  /** Totals over the whole run (warm-up, window and drain), each kept by its own stage. */
  counts: Stats['counts'];
  /** Schedule-to-decision and ingest-to-decision latency over every decision in the measured window. */
  scheduleLatencyMs: LatencySummary & { mean: number; count: number };
  latencyMs: LatencySummary & { mean: number; count: number };
  /** How long the generator was held back by a full ring in the window (ms), its waits, its largest schedule lag. */
  heldBack: { ms: number; waits: number; maxLagMs: number; shed: number };
  /** The laws checked every second and after the drain, the scorer's own totals after the drain, and the verdict. */
  laws: { snapshots: number; violations: LawViolation[]; scorerTotals: { scored: number; labels: number; invalid: number } };
  ok: boolean;
  /** Process CPU time (main thread + workers) / wall time of the window; 100 = one core. */
  cpuPercent: number;
  /** Scored in the window per CPU-second the process used: the efficiency figure, robust to a shared machine. */
  scoredPerCpuSecond: number;
  peakRssMb: number;
  /** Scored tx/s in each second of the window. */
  perSecondTps: number[];
  batches: Stats['batches'];
  engine: { maxBatch: number; lingerMs: number; maxInFlightBatches: number; capacity: number };
  date: string;
  machine: { cores: number; cpu: string; node: string };
  /** With --data-dir: the decision log and checkpoints at the end of the window (see the system's stats). */
  durability?: Stats['durability'];
  /** With --challenger: its version and own counts at the end (shadow-scored transactions, failures). */
  challenger?: { version: string; scored: number; invalid: number; failed: number };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const summary = (h: LatencyHistogram): LatencySummary & { mean: number; count: number } => ({
  ...summarizeLatency(h),
  mean: Math.round(h.mean) / 1000,
  count: h.totalCount,
});

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    tps: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    workers: { type: 'string' },
    json: { type: 'string' },
    model: { type: 'string' },
    challenger: { type: 'string' },
    customers: { type: 'string' },
    'max-batch': { type: 'string' },
    'linger-ms': { type: 'string' },
    'in-flight': { type: 'string' },
    capacity: { type: 'string' },
    seed: { type: 'string' },
    'allow-fallback': { type: 'boolean' },
    'data-dir': { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    'feature-log-sample': { type: 'string' },
    'no-served-logs': { type: 'boolean' },
    cases: { type: 'boolean' },
    'label-log': { type: 'string' },
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
  if (a['data-dir'] === '') throw new UsageError('--data-dir must not be empty');
  if (a['checkpoint-interval'] !== undefined && a['data-dir'] === undefined) throw new UsageError('--checkpoint-interval needs --data-dir');
  const intervalS = num(a['checkpoint-interval'], 'checkpoint-interval', 0.05, 86_400, 10, false);
  if (a['feature-log-sample'] !== undefined && a['data-dir'] === undefined) throw new UsageError('--feature-log-sample needs --data-dir');
  const featureLogSample: number | false = a['feature-log-sample'] === 'off' ? false : num(a['feature-log-sample'], 'feature-log-sample', 0, 1, 0.02, false);
  const labelLog = (a['label-log'] ?? 'fraud') as 'fraud' | 'all';
  if (labelLog !== 'fraud' && labelLog !== 'all') throw new UsageError(`--label-log must be fraud or all, got ${String(labelLog)}`);
  if (a.cases === true && a['data-dir'] === undefined) throw new UsageError('--cases needs --data-dir');
  const durability =
    typeof a['data-dir'] === 'string' ? { durability: { dataDir: a['data-dir'], checkpointIntervalMs: Math.round(intervalS * 1000), featureLogSample, labelLog, servedLogs: a['no-served-logs'] !== true } } : {};

  const system = await createSystem(
    {
      source: { kind: 'generator', tps: offered, customers, seed },
      ...(workers === undefined ? {} : { workers }),
      ...(typeof a.model === 'string' ? { modelPath: a.model } : {}),
      ...(typeof a.challenger === 'string' ? { challengerPath: a.challenger } : {}),
      // A benchmark offers every scheduled transaction, however far behind the schedule it falls.
      maxScheduleLagMs: Infinity,
      ...durability,
      ...(a.cases === true && typeof a['data-dir'] === 'string' ? { dataDir: a['data-dir'] } : {}),
    },
    {
      ...(maxBatch === undefined ? {} : { maxBatch }),
      ...(lingerMs === undefined ? {} : { lingerMs }),
      ...(maxInFlightBatches === undefined ? {} : { maxInFlightBatches }),
      ...(capacity === undefined ? {} : { capacity }),
    },
  );
  const { engine } = system;
  // The feed and alerts are drained as the server would (every 100 ms), so their cost is part of the run.
  const drainer = setInterval(() => system.drainEvents(20, 200), 100);
  const violations: LawViolation[] = [];
  let snapshots = 0;
  const check = (): Stats => {
    const s = system.stats();
    snapshots++;
    if (violations.length < 20) violations.push(...checkLaws(s));
    return s;
  };
  let result: BenchResult;
  try {
    await system.start();
    await sleep(warmupS * 1000);

    const start = engine.latencyTotals();
    const s0 = check();
    const g0 = system.sourceStats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const perSecondTps: number[] = [];
    let lastScored = s0.counts.scored;
    const endAt = t0 + durationS * 1000;
    for (let next = t0 + 1000; ; next += 1000) {
      const stop = Math.min(next, endAt);
      await sleep(Math.max(0, stop - performance.now()));
      const c = check().counts;
      const elapsed = (stop - (next - 1000)) / 1000;
      perSecondTps.push(Math.round((c.scored - lastScored) / elapsed));
      lastScored = c.scored;
      if (stop >= endAt) break;
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const s1 = check();
    const g1 = system.sourceStats();
    const window = engine.latencyTotals();
    window.ingest.subtract(start.ingest);
    window.schedule.subtract(start.schedule);
    await system.stop();
    const end = check();
    const scorerTotals = engine.scorer.counts();
    violations.push(...checkQuiescent(end, scorerTotals));
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const scoredInWindow = s1.counts.scored - s0.counts.scored;
    const fallbackOk = end.counts.fallback === 0 || a['allow-fallback'] === true;
    result = {
      offeredTps: offered,
      generatedTps: Math.round((g1.generated - g0.generated) / wallS),
      sustainedTps: Math.round(scoredInWindow / durationS),
      fallbackTps: Math.round((s1.counts.fallback - s0.counts.fallback) / durationS),
      durationS,
      warmupS,
      workers: end.workers.count,
      counts: end.counts,
      scheduleLatencyMs: summary(window.schedule),
      latencyMs: summary(window.ingest),
      heldBack: {
        ms: Math.round(g1.heldBackMs - g0.heldBackMs),
        waits: g1.backpressureWaits - g0.backpressureWaits,
        maxLagMs: Math.round(g1.schedule.maxLagMs),
        shed: g1.schedule.shed,
      },
      laws: { snapshots, violations, scorerTotals: { scored: scorerTotals.scored, labels: scorerTotals.labels, invalid: scorerTotals.invalid } },
      ok: violations.length === 0 && fallbackOk && end.durability?.ok !== false,
      cpuPercent: Math.round((cpuS / wallS) * 1000) / 10,
      scoredPerCpuSecond: Math.round(scoredInWindow / cpuS),
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
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
      ...(end.durability === undefined ? {} : { durability: end.durability }),
      ...(end.challenger === null || end.challenger === undefined
        ? {}
        : { challenger: { version: end.challenger.version, scored: end.challenger.counts.scored, invalid: end.challenger.counts.invalid, failed: end.challenger.counts.failed } }),
    };
  } finally {
    clearInterval(drainer);
    await system.close();
  }
  if (typeof a.json === 'string') writeFileSync(a.json, `${JSON.stringify(result, null, 2)}\n`);
  const c = result.counts;
  const lat = (l: LatencySummary): string => `p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} max ${l.max}`;
  process.stdout.write(
    `offered ${offered === 'max' ? 'max' : offered.toLocaleString('en')}/s, ${result.workers} workers, ${durationS} s after ${warmupS} s warm-up\n` +
      `sustained ${result.sustainedTps.toLocaleString('en')} scored tx/s (generated ${result.generatedTps.toLocaleString('en')}/s; fallback ${result.fallbackTps}/s)\n` +
      `latency ms from schedule: ${lat(result.scheduleLatencyMs)}; from ingest: ${lat(result.latencyMs)} (${result.latencyMs.count.toLocaleString('en')} decisions)\n` +
      `held back ${result.heldBack.ms} ms (${result.heldBack.waits} waits, largest schedule lag ${result.heldBack.maxLagMs} ms)\n` +
      `cpu ${result.cpuPercent}% (${result.scoredPerCpuSecond.toLocaleString('en')} scored per cpu-second), peak rss ${result.peakRssMb} MB, batches ${result.batches.dispatched} of ${result.batches.meanSize.toFixed(0)} mean\n` +
      `counts: written ${c.written} consumed ${c.consumed} scored ${c.scored} fallback ${c.fallback} invalid ${c.invalid} rejected ${c.rejected} in flight ${c.inFlight}; ` +
      `labels written ${c.labels.written} applied ${c.labels.applied}\n` +
      (result.laws.violations.length === 0
        ? `laws held in ${result.laws.snapshots} snapshots and after the drain\n`
        : `LAWS BROKEN: ${describeViolations(result.laws.violations)}\n`) +
      (result.durability === undefined
        ? ''
        : `durability: ${result.durability.ok ? 'ok' : `FAILED (${result.durability.reason ?? ''})`}, ${result.durability.logRecords.toLocaleString('en')} decisions logged, ` +
          `last checkpoint ${result.durability.lastCheckpoint?.id ?? 'none'} (snapshot ${result.durability.lastCheckpoint?.snapshotBytes ?? 0} bytes, took ${result.durability.lastCheckpoint?.tookMs ?? 0} ms)\n`) +
      (result.challenger === undefined
        ? ''
        : `challenger ${result.challenger.version}: ${result.challenger.scored} scored in shadow, ${result.challenger.failed} failed\n`) +
      (c.fallback > 0 ? `${c.fallback} transactions were decided by the FALLBACK${a['allow-fallback'] === true ? ' (allowed)' : ''}\n` : ''),
  );
  return result.ok ? 0 : 1;
}
