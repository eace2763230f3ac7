import type { DecidedBatch, Engine } from '@fraudstream/engine';
import { Flag, ResultStatus } from '@fraudstream/schema';
import { featureNames } from '@fraudstream/scorer';
import { CardRefHasher, FeatureLog, LabelLog, type LabelSource } from '@fraudstream/store';

/** Default sample rate of approvals in the served-feature log (alerts are always logged); see the README for its cost. */
export const DEFAULT_FEATURE_LOG_SAMPLE = 0.02;
const FLUSH_MS = 100;

/** Options of {@link ServedLogs.open}. */
export interface ServedLogsOptions {
  dataDir: string;
  /** Sample rate of approvals in the feature log, 0..1 (default {@link DEFAULT_FEATURE_LOG_SAMPLE}); `false`: no feature log. */
  featureSample: number | false;
  /**
   * Which of the engine's label records go to the label log: `fraud` (default) only fraud labels, `all` every one.
   * Under the training protocol a transaction without a fraud label past the label delay is genuine, so the bulk
   * stream's genuine labels (one per transaction from the generator and a labelled replay) add little to training
   * and cost as much as the decision log to keep (bench/served-logs.bench.mjs); labels appended through
   * {@link LabelLog.append} (analysts' verdicts) are always kept.
   */
  labels?: 'fraud' | 'all';
  /** Source recorded for the label records the engine decides (the system's source). */
  labelSource: LabelSource;
  cardRefSecret: Buffer;
  /** The model or bundle version stored with the feature rows. */
  modelVersion: () => string;
}

/** What the served logs report in the durability stats. */
export interface ServedLogsStats {
  featureRows: number;
  /** Labels logged, and which of the engine's labels are logged. */
  labels: number;
  labelPolicy: 'fraud' | 'all';
  featureSample: number | false;
  /** Main-thread time spent on these logs (taking captured rows, encoding frames and labels, the flush writes), ms. */
  busyMs: number;
}

/**
 * The training side of the durable mode: the served-feature log (the scorer's feature vector of every alert and of
 * a deterministic sample of approvals, captured in Rust only for those rows) and the label log (every label record
 * the engine decides), both in the data dir beside the decision log. Wired after {@link Durability}: each frame of
 * the feature log carries the decision log's record count after its batch, so recovery cuts it back with the log.
 */
export class ServedLogs {
  readonly features: FeatureLog | undefined;
  readonly labels: LabelLog;
  private readonly hasher: CardRefHasher;
  private readonly timer: NodeJS.Timeout;
  private featureRows = 0;
  private labelCount = 0;
  private failed = false;
  private busyMs = 0;
  private labelTs = new Float64Array(1024);
  private labelRefs = new Uint32Array(2048);
  private labelFraud = new Uint8Array(1024);

  private constructor(
    private readonly engine: Engine,
    private readonly o: ServedLogsOptions,
    private readonly logRecords: () => number,
  ) {
    const rate = o.featureSample;
    if (rate !== false && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) {
      throw new RangeError('config.durability.featureLogSample must be a number from 0 to 1');
    }
    if (o.labels !== undefined && o.labels !== 'fraud' && o.labels !== 'all') throw new TypeError("config.durability.labelLog must be 'fraud' or 'all'");
    this.features = rate === false ? undefined : FeatureLog.open(o.dataDir);
    try {
      this.labels = LabelLog.open(o.dataDir);
    } catch (err) {
      this.features?.close();
      throw err;
    }
    this.hasher = new CardRefHasher(o.cardRefSecret);
    this.timer = setInterval(() => {
      const t0 = performance.now();
      this.guard(() => this.flush());
      this.busyMs += performance.now() - t0;
    }, FLUSH_MS);
    this.timer.unref();
  }

  /**
   * Opens both logs, cuts the feature log back to `recoveredRecords` (the decision log's record count after
   * recovery), turns the scorer's capture on and listens to the engine's decided batches.
   */
  static open(engine: Engine, o: ServedLogsOptions, recoveredRecords: number, logRecords: () => number): ServedLogs {
    const s = new ServedLogs(engine, o, logRecords);
    s.features?.cutTo(recoveredRecords);
    if (o.featureSample !== false) engine.scorer.setFeatureCapture(o.featureSample);
    engine.onBatch(s.onBatch);
    return s;
  }

  /** Counts for the stats. */
  stats(): ServedLogsStats {
    return { featureRows: this.featureRows, labels: this.labelCount, labelPolicy: this.o.labels ?? 'fraud', featureSample: this.o.featureSample, busyMs: Math.round(this.busyMs) };
  }

  /** Writes and syncs both logs (at each checkpoint, after the batches before its barrier were appended). */
  async sync(): Promise<void> {
    if (this.failed) return;
    await Promise.all([this.features?.sync(), this.labels.sync()]);
  }

  /** Stops capturing, syncs and closes both logs. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    try {
      this.engine.scorer.setFeatureCapture(null);
    } catch {
      // The scorer is already closed: nothing is captured any more.
    }
    if (!this.failed) await this.sync().catch(() => undefined);
    this.features?.close();
    this.labels.close();
  }

  private flush(): void {
    this.features?.flush();
    this.labels.flush();
  }

  private guard(f: () => void): void {
    if (this.failed) return;
    try {
      f();
    } catch (err) {
      // The decision log's own failure stops the source; these logs only stop writing and say why once.
      this.failed = true;
      console.error(`fraudstream: the served-feature/label log in ${this.o.dataDir} failed and stopped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private readonly onBatch = (b: DecidedBatch): void => {
    const t0 = performance.now();
    // Taken on every path, so nothing captured for a batch waits in the scorer past its turn.
    const captured = this.features === undefined ? undefined : this.engine.scorer.takeCapturedFeatures(b.slot);
    if (!this.failed) {
      this.guard(() => {
        if (captured !== undefined && captured.count > 0 && !b.fallback) this.appendFeatures(b, captured.count, captured.index, captured.rows);
        this.appendLabels(b);
      });
    }
    this.busyMs += performance.now() - t0;
  };

  private appendFeatures(b: DecidedBatch, n: number, index: Uint32Array, rows: Float32Array): void {
    const eventTimeMs = new Float64Array(n);
    const txNum = new Float64Array(n);
    const refs = new Uint32Array(2 * n);
    const score = new Float32Array(n);
    const decision = new Uint8Array(n);
    const ids = new Map<number, string>();
    for (let i = 0; i < n; i++) {
      const slot = b.slot + (index[i] as number);
      eventTimeMs[i] = b.records.timestampMs(slot);
      const num = b.records.txNum(slot);
      txNum[i] = num;
      if (Number.isNaN(num)) {
        const id = this.engine.stringId(slot);
        if (id !== undefined) ids.set(i, id);
      }
      this.hasher.refOfKeyInto(b.records.cardKeyLo(slot), b.records.cardKeyHi(slot), refs, 2 * i);
      score[i] = b.results.score(slot);
      decision[i] = b.results.decisionCode(slot);
    }
    this.features?.append(this.logRecords(), {
      count: n,
      width: featureNames.length,
      rate: this.o.featureSample === false ? 0 : this.o.featureSample,
      modelVersion: this.o.modelVersion(),
      eventTimeMs,
      txNum,
      refs,
      score,
      decision,
      features: rows,
      ids,
    });
    this.featureRows += n;
  }

  private appendLabels(b: DecidedBatch): void {
    let n = 0;
    // One read of the record's flags a record: a label (a fraud one unless every label is kept), then its status.
    const want = this.o.labels === 'all' ? Flag.Label : Flag.Label | Flag.Fraud;
    const end = b.slot + b.count;
    for (let slot = b.slot; slot < end; slot++) {
      if ((b.records.flags(slot) & want) !== want || b.results.status(slot) !== ResultStatus.Label) continue;
      if (n === this.labelFraud.length) this.grow();
      this.labelTs[n] = b.records.timestampMs(slot);
      this.hasher.refOfKeyInto(b.records.cardKeyLo(slot), b.records.cardKeyHi(slot), this.labelRefs, 2 * n);
      this.labelFraud[n] = b.records.isFraud(slot) ? 1 : 0;
      n++;
    }
    if (n === 0) return;
    this.labels.appendMany(this.o.labelSource, Date.now(), n, this.labelTs, this.labelRefs, this.labelFraud);
    this.labelCount += n;
  }

  private grow(): void {
    const n = this.labelFraud.length * 2;
    const ts = new Float64Array(n);
    ts.set(this.labelTs);
    const refs = new Uint32Array(2 * n);
    refs.set(this.labelRefs);
    const fraud = new Uint8Array(n);
    fraud.set(this.labelFraud);
    this.labelTs = ts;
    this.labelRefs = refs;
    this.labelFraud = fraud;
  }
}
