import { Piscina } from 'piscina';
import {
  DECISION_NAMES,
  DecisionCode,
  Flag,
  NO_REASON,
  RECORD_SIZE,
  RESULT_SIZE,
  RecordViews,
  ResultStatus,
  ResultViews,
  type Transaction,
  type Validated,
  type ValidationError,
  parseTransactionJson,
  validateTransaction,
} from '@fraudstream/schema';
import { SharedRing, type RingConsumer } from '@fraudstream/queue';
import { EngineClosedError } from './errors.js';
import { EventCollector, type DecisionEvent, type DrainedEvents } from './decision-event.js';
import type { Histogram } from 'hdr-histogram-js';
import { LatencyWindow, type LatencySummary } from './latency-window.js';
import { checkThresholds, resolveOptions, type EngineOptions, type ResolvedOptions, type Thresholds } from './options.js';
import { QualityTracker, type QualitySummary } from './quality.js';
import { RateMeter } from './rate-meter.js';
import { RingSink } from './ring-sink.js';
import * as scorer from '@fraudstream/scorer';
import type { ScoreTask, TaskResult, WorkerInit } from './worker.js';
import {
  CLAIMED,
  COMPLETED,
  COUNTERS,
  COUNT,
  CUT,
  DESCRIPTOR,
  DONE,
  FAILED,
  OWNER,
  PUBLISHED,
  RUNNING,
  START,
  STATE,
  descriptorAt,
  descriptorRingSize,
} from './batch-control.js';

/** The engine's part of the stats JSON of ARCHITECTURE.md (the system adds running, uptimeS and source). */
export interface EngineStats {
  counts: {
    ingested: number;
    decided: number;
    approved: number;
    review: number;
    declined: number;
    rejected: number;
    inFlight: number;
  };
  throughput: { ingestTps: number; decideTps: number };
  latencyMs: LatencySummary;
  quality: QualitySummary;
  queue: { depth: number; capacity: number };
  workers: { count: number };
  /** Label records applied to the scorer's state. */
  labels: number;
  /** Rejections by field (validation errors), and the batches decided by the fallback after a scorer failure. */
  errors: { rejectedByField: Record<string, number>; scorerFailures: number };
  batches: { dispatched: number; meanSize: number };
  /** Score thresholds in force (additive to the ARCHITECTURE.md contract). */
  thresholds: Thresholds;
  /** Micro-batches handed to the worker pool and not yet completed (the workers' stage depth; additive). */
  batchesInFlight: number;
}

/** Outcome of {@link Engine.submit}, discriminated by `state`. */
export type SubmitResult =
  | { state: 'accepted'; seq: number }
  | { state: 'rejected'; error: ValidationError }
  /** The ring is full: nothing was counted; retry later (backpressure). */
  | { state: 'full' };

/** A decided batch, handed to batch listeners in ingest order before its slots are reused. */
export interface DecidedBatch {
  records: RecordViews;
  results: ResultViews;
  /** First slot and ingest sequence number of the batch. */
  slot: number;
  seq: number;
  count: number;
}

interface InFlightBatch {
  ticket: number;
  seq: number;
  slot: number;
  count: number;
  /** Set when the batch is collected: completion time and whether the addon failed on it (fallback decisions). */
  doneMs: number;
  failed: boolean;
}

const now = (): number => performance.timeOrigin + performance.now();
const FALLBACK_REASON = 'SCORER_ERROR';

/**
 * The streaming core: a shared ring in front, micro-batches cut by size and linger time, a piscina pool whose
 * workers call the Rust scorer on each batch in place, and in-order completion that feeds stats, live events and
 * batch listeners before releasing the slots to the source.
 *
 * Every published transaction gets exactly one decision: scored by the model, or, if a batch fails in the addon,
 * the fallback decision REVIEW with reason SCORER_ERROR. At every instant
 * `ingested == decided + rejected + inFlight`.
 */
export class Engine {
  /** Where sources write (implements the sources package's RecordSink). */
  readonly sink: RingSink;
  readonly options: ResolvedOptions;
  readonly records: RecordViews;
  readonly results: ResultViews;
  readonly featureNames: readonly string[];
  readonly ruleNames: readonly string[];

  private readonly ring: SharedRing;
  private readonly consumer: RingConsumer;
  private readonly resultsBuffer: SharedArrayBuffer;
  private readonly pool: Piscina<ScoreTask, TaskResult>;
  /** Batch hand-over to the workers (batch-control.ts). */
  private readonly counters: BigInt64Array;
  private readonly descriptors: Int32Array;
  private readonly descriptorMask: number;
  private readonly handle: number;
  private readonly ids: (string | undefined)[];
  private readonly inFlight: InFlightBatch[] = [];
  /** Worker tasks running (at most `options.workers`) and the id of the next one. */
  private tasks = 0;
  private nextTaskId = 0;
  /** An `Atomics.waitAsync` on `COMPLETED` is pending. */
  private watching = false;
  private readonly latency = new LatencyWindow();
  private readonly quality = new QualityTracker();
  private readonly rates = new RateMeter(2);
  private readonly events = new EventCollector();
  private readonly listeners = new Set<(batch: DecidedBatch) => void>();
  private readonly rejectedByField = new Map<string, number>();
  private readonly sampler: NodeJS.Timeout;
  private drainWaiters: (() => void)[] = [];

  /** Records counted so far (transactions and labels); transactions ingested = scanned - labelsIn. */
  private scanned = 0;
  private dispatched = 0;
  private nextTicket = 0;
  private labelsIn = 0;
  private decided = 0;
  private get txIn(): number {
    return this.scanned - this.labelsIn;
  }
  private byDecision = [0, 0, 0];
  private rejected = 0;
  private scorerFailures = 0;
  private batchRecords = 0;
  private pumpScheduled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private draining = 0;
  private closed = false;
  private modelVersion: string;

  private constructor(options: ResolvedOptions) {
    this.options = options;
    this.modelVersion = options.modelVersion;
    this.ring = SharedRing.create({ capacity: options.capacity, recordSize: RECORD_SIZE });
    this.consumer = this.ring.consumer();
    this.resultsBuffer = new SharedArrayBuffer(options.capacity * RESULT_SIZE);
    this.records = new RecordViews(this.ring.buffer, this.ring.dataOffset, options.capacity);
    this.results = new ResultViews(this.resultsBuffer, 0, options.capacity);
    this.ids = new Array<string | undefined>(options.capacity);
    this.featureNames = scorer.featureNames();
    this.ruleNames = scorer.ruleNames();
    this.handle = scorer.createScorer({
      reviewThreshold: options.thresholds.review,
      declineThreshold: options.thresholds.decline,
      labelDelayDays: options.labelDelayDays,
      ...(options.rules === undefined ? {} : { rules: options.rules }),
    });
    try {
      scorer.loadModel(this.handle, options.modelJson);
    } catch (err) {
      scorer.destroyScorer(this.handle);
      throw err;
    }
    const descriptorCount = descriptorRingSize(options.maxInFlightBatches);
    this.counters = new BigInt64Array(new SharedArrayBuffer(COUNTERS * 8));
    this.descriptors = new Int32Array(new SharedArrayBuffer(descriptorCount * DESCRIPTOR * 4));
    this.descriptorMask = descriptorCount - 1;
    const init: WorkerInit = {
      counters: this.counters.buffer as SharedArrayBuffer,
      descriptors: this.descriptors.buffer as SharedArrayBuffer,
      descriptorMask: this.descriptorMask,
      ring: this.ring.buffer,
      results: this.resultsBuffer,
      dataOffset: this.ring.dataOffset,
      capacity: options.capacity,
      recordSize: RECORD_SIZE,
      resultSize: RESULT_SIZE,
      handle: this.handle,
    };
    this.pool = new Piscina<ScoreTask, TaskResult>({
      // '../dist/worker.js' resolves to the built worker both from dist/ and from src/ (tests run the sources).
      filename: new URL('../dist/worker.js', import.meta.url).href,
      minThreads: options.workers,
      maxThreads: options.workers,
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
      workerData: init,
    });
    this.sink = new RingSink(this.ring, this.ids, this.schedulePump, (e) => this.reject(e));
    this.sampler = setInterval(() => this.rates.sample(now(), this.txIn + this.rejected, this.decided), 100);
    this.sampler.unref();
    this.watchCompletions();
  }

  /** Validates options, creates the scorer with its model and starts the worker pool. */
  static async create(options: EngineOptions): Promise<Engine> {
    const engine = new Engine(resolveOptions(options));
    // Score an empty batch on every worker so each has loaded the addon before the first transaction arrives.
    await Promise.all(
      Array.from({ length: engine.options.workers }, () => engine.pool.run({ id: -1 })),
    ).catch(async (err: unknown) => {
      await engine.pool.destroy();
      scorer.destroyScorer(engine.handle);
      throw err;
    });
    return engine;
  }

  /** Counts an input rejected by validation: it is ingested and rejected, and never enters the ring. */
  reject(error: ValidationError): void {
    this.rejected++;
    this.rejectedByField.set(error.field, (this.rejectedByField.get(error.field) ?? 0) + 1);
  }

  /**
   * Validates one transaction (a parsed JSON value) and, if valid, writes it into the ring. An invalid one is counted
   * as ingested and rejected, with the error naming the field. Meant for request-sized inputs (HTTP, Kafka); bulk
   * sources write records through {@link sink} directly.
   */
  submit(input: unknown): SubmitResult {
    return this.accept(validateTransaction(input));
  }

  /** Like {@link submit} for one JSON document's text: malformed or oversized text is rejected on field `$`. */
  submitJson(text: string): SubmitResult {
    return this.accept(parseTransactionJson(text));
  }

  private accept(v: Validated<Transaction>): SubmitResult {
    if (!v.ok) {
      this.reject(v.error);
      return { state: 'rejected', error: v.error };
    }
    if (this.sink.claim(1) === 0) return { state: 'full' };
    const slot = this.sink.claimedSlot;
    const seq = this.sink.claimedSeq;
    this.records.writeTransaction(slot, v.value, now());
    if (Number.isNaN(this.records.txNum(slot))) this.ids[slot] = v.value.id;
    this.sink.publish(1);
    return { state: 'accepted', seq };
  }

  /** Changes the decision thresholds for batches scored from now on. */
  setThresholds(thresholds: Thresholds): void {
    checkThresholds(thresholds);
    scorer.setThresholds(this.handle, thresholds.review, thresholds.decline);
    this.options.thresholds = { ...thresholds };
  }

  /** Replaces the model atomically; batches already running finish with the old one. */
  loadModel(modelJson: string, modelVersion: string): void {
    scorer.loadModel(this.handle, modelJson);
    this.modelVersion = modelVersion;
  }

  /** Calls `listener` with every decided batch, in ingest order, before its slots are reused. Returns an unsubscribe. */
  onBatch(listener: (batch: DecidedBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes the sampled feed and the alerts gathered since the last call. */
  drainEvents(maxFeed: number, maxAlerts: number): DrainedEvents {
    return this.events.drain(maxFeed, maxAlerts);
  }

  /** A consistent snapshot of the engine's counters, rates and latency. */
  stats(): EngineStats {
    const t = now();
    const ingested = this.txIn + this.rejected;
    return {
      counts: {
        ingested,
        decided: this.decided,
        approved: this.byDecision[DecisionCode.Approve] ?? 0,
        review: this.byDecision[DecisionCode.Review] ?? 0,
        declined: this.byDecision[DecisionCode.Decline] ?? 0,
        rejected: this.rejected,
        inFlight: this.txIn - this.decided,
      },
      throughput: { ingestTps: Math.round(this.rates.rate(0, t, ingested)), decideTps: Math.round(this.rates.rate(1, t, this.decided)) },
      latencyMs: this.latency.summary(t),
      quality: this.quality.summary(),
      queue: { depth: this.ring.depth(), capacity: this.options.capacity },
      workers: { count: this.options.workers },
      labels: this.labelsIn,
      errors: { rejectedByField: Object.fromEntries(this.rejectedByField), scorerFailures: this.scorerFailures },
      batches: { dispatched: this.nextTicket, meanSize: this.nextTicket === 0 ? 0 : this.batchRecords / this.nextTicket },
      thresholds: { ...this.options.thresholds },
      batchesInFlight: this.inFlight.length,
    };
  }

  /**
   * Every ingest-to-decision latency recorded since the engine started, as a new HDR histogram in microseconds
   * (the caller owns it: subtract an earlier copy to get a window, e.g. after a warm-up). Cheap: folds at most
   * eleven histograms.
   */
  latencyTotal(): Histogram {
    this.latency.rotate(now());
    return this.latency.total();
  }

  /** Resolves once every record published so far is decided (linger is skipped while draining). */
  drain(): Promise<void> {
    if (this.caughtUp()) return Promise.resolve();
    this.draining++;
    this.schedulePump();
    return new Promise((resolve) => {
      this.drainWaiters.push(() => {
        this.draining--;
        resolve();
      });
    });
  }

  /** Drains, then stops the worker pool and frees the scorer. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    // Ends the pending Atomics.waitAsync on COMPLETED.
    Atomics.notify(this.counters, COMPLETED);
    clearInterval(this.sampler);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    await this.pool.destroy();
    scorer.destroyScorer(this.handle);
  }

  private caughtUp(): boolean {
    return this.consumer.published() === this.consumer.released && this.inFlight.length === 0;
  }

  private readonly schedulePump = (): void => {
    if (this.closed) throw new EngineClosedError();
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  };

  private readonly pump = (): void => {
    this.pumpScheduled = false;
    if (this.closed) return;
    const published = this.consumer.published();
    if (this.scanned < published) this.scan(published);
    const { maxBatch, lingerMs, maxInFlightBatches, capacity } = this.options;
    while (this.dispatched < published && this.inFlight.length < maxInFlightBatches) {
      const slot = this.consumer.slotOf(this.dispatched);
      const available = published - this.dispatched;
      if (available < maxBatch && this.draining === 0) {
        // Wait for a fuller batch, but never let the oldest record wait longer than lingerMs.
        const age = now() - this.records.ingestMs(slot);
        if (age < lingerMs) {
          this.armLinger(lingerMs - age);
          break;
        }
      }
      this.dispatch(slot, Math.min(available, maxBatch, capacity - slot));
    }
    if (this.drainWaiters.length > 0 && this.caughtUp()) this.wakeDrainers();
  };

  private armLinger(ms: number): void {
    if (this.lingerTimer !== undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(ms)));
  }

  /** Counts newly published records as transactions or labels (ingested is counted here, on arrival). */
  private scan(published: number): void {
    const u8 = this.records.u8;
    let labels = 0;
    for (let seq = this.scanned; seq < published; seq++) {
      labels += (u8[this.consumer.slotOf(seq) * RECORD_SIZE + 51] ?? 0) & Flag.Label;
    }
    this.labelsIn += labels;
    this.scanned = published;
  }

  /** Publishes a cut batch for the workers to claim (batch-control.ts) and makes sure enough tasks run. */
  private dispatch(slot: number, count: number): void {
    const ticket = this.nextTicket++;
    const at = descriptorAt(ticket, this.descriptorMask);
    const d = this.descriptors;
    d[at + START] = slot;
    d[at + COUNT] = count;
    d[at + OWNER] = -1;
    Atomics.store(d, at + STATE, CUT);
    Atomics.store(this.counters, PUBLISHED, BigInt(ticket + 1));
    this.inFlight.push({ ticket, seq: this.dispatched, slot, count, doneMs: 0, failed: false });
    this.dispatched += count;
    this.batchRecords += count;
    this.startTasks();
  }

  /**
   * Runs a worker task while published batches are unclaimed and fewer than `workers` tasks run. A task keeps
   * claiming until nothing is published, so at a steady load each worker goes from batch to batch without waiting
   * for this thread; a task that found nothing ends, and the next batch starts a new one.
   */
  private startTasks(): void {
    while (this.tasks < this.options.workers && this.nextTicket > Number(Atomics.load(this.counters, CLAIMED))) {
      const id = this.nextTaskId++;
      this.tasks++;
      this.pool.run({ id }).then(
        (result) => {
          this.tasks--;
          for (const f of result.failures) {
            process.emitWarning(`fraudstream: batch ${f.ticket} failed, decided by fallback: ${f.message}`);
          }
          this.complete();
          if (!this.closed) this.startTasks();
        },
        (err: unknown) => {
          // The task's worker died: its claimed, unfinished batches are decided by the fallback.
          this.tasks--;
          for (const batch of this.inFlight) {
            const at = descriptorAt(batch.ticket, this.descriptorMask);
            if (this.descriptors[at + OWNER] === id && Atomics.load(this.descriptors, at + STATE) === RUNNING) {
              scorer.skipTicket(this.handle, batch.ticket);
              Atomics.store(this.descriptors, at + STATE, FAILED);
              process.emitWarning(`fraudstream: batch ${batch.ticket} failed, decided by fallback: ${String(err)}`);
            }
          }
          this.complete();
          if (!this.closed) this.startTasks();
        },
      );
    }
  }

  /** Collects finished batches whenever a worker raises `COMPLETED`, without a message per batch. */
  private watchCompletions(): void {
    if (this.watching || this.closed) return;
    const seen = Atomics.load(this.counters, COMPLETED);
    this.complete();
    const wait = Atomics.waitAsync(this.counters, COMPLETED, seen);
    if (!wait.async) {
      setImmediate(() => this.watchCompletions());
      return;
    }
    this.watching = true;
    void wait.value.then(() => {
      this.watching = false;
      this.watchCompletions();
    });
  }

  /** Processes finished batches in ticket order, then releases their slots to the source. */
  private complete(): void {
    while (this.inFlight.length > 0) {
      const batch = this.inFlight[0] as InFlightBatch;
      const state = Atomics.load(this.descriptors, descriptorAt(batch.ticket, this.descriptorMask) + STATE);
      if (state !== DONE && state !== FAILED) break;
      this.inFlight.shift();
      batch.doneMs = now();
      batch.failed = state === FAILED;
      if (batch.failed) {
        this.scorerFailures++;
        this.writeFallback(batch);
      }
      this.account(batch);
      for (const listener of this.listeners) {
        listener({ records: this.records, results: this.results, slot: batch.slot, seq: batch.seq, count: batch.count });
      }
      this.consumer.release(batch.count);
    }
    if (!this.closed) this.schedulePump();
  }

  private writeFallback(batch: InFlightBatch): void {
    const r = this.results;
    for (let s = batch.slot; s < batch.slot + batch.count; s++) {
      r.f32[s * 4] = Number.NaN;
      r.u8[s * RESULT_SIZE + 4] = DecisionCode.Review;
      r.u8[s * RESULT_SIZE + 5] = this.records.isLabel(s) ? ResultStatus.Label : ResultStatus.Invalid;
      r.u16[s * 8 + 3] = 0;
      r.u8.fill(NO_REASON, s * RESULT_SIZE + 8, s * RESULT_SIZE + 11);
    }
  }

  private account(batch: InFlightBatch): void {
    const { records, results } = this;
    const rec8 = records.u8;
    const f64 = records.f64;
    const res8 = results.u8;
    this.latency.rotate(batch.doneMs);
    // Records written in one source chunk share their ingest time, and a batch shares its completion time: equal
    // latencies are recorded as one run (one histogram update per run instead of per transaction).
    let runIngest = Number.NaN;
    let runCount = 0;
    for (let i = 0; i < batch.count; i++) {
      const slot = batch.slot + i;
      const flags = rec8[slot * RECORD_SIZE + 51] ?? 0;
      if ((flags & Flag.Label) !== 0) {
        this.quality.label(f64[slot * 8] ?? Number.NaN, (flags & Flag.Fraud) !== 0);
        continue;
      }
      const code = res8[slot * RESULT_SIZE + 4] ?? DecisionCode.Review;
      this.byDecision[code] = (this.byDecision[code] ?? 0) + 1;
      this.decided++;
      const ingestMs = f64[slot * 8 + 3] ?? batch.doneMs;
      const latencyUs = (batch.doneMs - ingestMs) * 1000;
      if (ingestMs !== runIngest) {
        if (runCount > 0) this.latency.recordCount((batch.doneMs - runIngest) * 1000, runCount);
        runIngest = ingestMs;
        runCount = 0;
      }
      runCount++;
      this.quality.decided(batch.seq + i, code, batch.failed ? Number.NaN : (results.f32[slot * 4] ?? Number.NaN));
      if (code !== DecisionCode.Approve && this.events.wantsAlert()) {
        this.events.putAlert(this.event(slot, batch.seq + i, latencyUs, batch.failed));
      }
      const feedSlot = this.events.feedSlot();
      if (feedSlot >= 0) this.events.putFeed(feedSlot, this.event(slot, batch.seq + i, latencyUs, batch.failed));
      if (this.ids[slot] !== undefined) this.ids[slot] = undefined;
    }
    if (runCount > 0) this.latency.recordCount((batch.doneMs - runIngest) * 1000, runCount);
  }

  private event(slot: number, seq: number, latencyUs: number, fallback: boolean): DecisionEvent {
    const txNum = this.records.txNum(slot);
    const u32 = this.records.u32;
    const hex = (v: number): string => `…${(v & 0xffffff).toString(16).padStart(6, '0')}`;
    return {
      id: Number.isNaN(txNum) ? (this.ids[slot] ?? `seq:${seq}`) : String(txNum),
      cardRef: hex(u32[slot * 16 + 8] ?? 0),
      terminalRef: hex(u32[slot * 16 + 10] ?? 0),
      amount: this.records.amount(slot),
      timestampMs: this.records.timestampMs(slot),
      score: this.results.score(slot),
      decision: DECISION_NAMES[this.results.decisionCode(slot)] ?? 'REVIEW',
      reasons: fallback ? [FALLBACK_REASON] : this.reasons(slot),
      latencyUs: Math.round(latencyUs),
      modelVersion: this.modelVersion,
    };
  }

  /** Names of the rules that fired, then of the top contributing features. */
  private reasons(slot: number): string[] {
    const out: string[] = [];
    const rules = this.results.rules(slot);
    for (let bit = 0; bit < this.ruleNames.length; bit++) {
      if ((rules & (1 << bit)) !== 0) out.push(this.ruleNames[bit] as string);
    }
    for (let i = 0; i < 3; i++) {
      const f = this.results.reason(slot, i);
      if (f !== NO_REASON && f < this.featureNames.length) out.push(this.featureNames[f] as string);
    }
    return out;
  }

  private wakeDrainers(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
