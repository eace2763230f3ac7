import {
  RECORD_SIZE,
  RESULT_SIZE,
  CardRefHasher,
  RecordViews,
  ResultViews,
  type Transaction,
  type Validated,
  type ValidationError,
  parseTransactionJson,
  validateTransaction,
} from '@fraudstream/schema';
import { SharedRing, type RingConsumer } from '@fraudstream/queue';
import { createHash } from 'node:crypto';
import { Scorer, checkThresholds, type BundleInfo, type RulesInfo, type Thresholds } from '@fraudstream/scorer';
import type { Histogram } from 'hdr-histogram-js';
import { Accountant } from './accountant.js';
import type { DrainedEvents } from './decision-event.js';
import type { FinishedBatch } from './batches.js';
import { Dispatcher } from './dispatcher.js';
import { DecisionColumns } from './decision-columns.js';
import { EngineClosedError } from './errors.js';
import type { DecidedBatch, EngineStats, EngineTelemetry, SubmitResult, WriterCounts } from './engine-stats.js';
import { faultsFromEnv, type Faults } from './faults.js';
import { resolveOptions, type EngineOptions, type ResolvedOptions } from './options.js';
import { RateMeter } from './rate-meter.js';
import { RingSink } from './ring-sink.js';
import { LiveVersions, bundleConfig, type GenerationInfo, type LiveConfig, type RulesOrigin } from './live-versions.js';
import { ChallengerLane, type ShadowBatch } from './challenger.js';

const now = (): number => performance.timeOrigin + performance.now();

/**
 * The streaming core: a shared ring in front (written by sources through {@link sink}), a {@link Dispatcher}
 * cutting micro-batches for the worker pool that calls the Rust scorer, and an {@link Accountant} counting what was
 * decided. Every transaction taken from the ring gets exactly one decision: scored by the model, or the fallback
 * decision REVIEW with reason SCORER_ERROR when its batch failed; the laws of laws.ts hold at every instant.
 */
export class Engine {
  /** Where sources write (implements the sources package's RecordSink). */
  readonly sink: RingSink;
  readonly options: ResolvedOptions;
  readonly records: RecordViews;
  readonly results: ResultViews;
  readonly scorer: Scorer;

  private readonly ring: SharedRing;
  private readonly consumer: RingConsumer;
  private readonly dispatcher: Dispatcher;
  private readonly accountant: Accountant;
  private readonly faults: Faults | undefined;
  private readonly ids: (string | undefined)[];
  private readonly columns: DecisionColumns | undefined;
  private readonly writers = new Set<() => WriterCounts>();
  private readonly listeners = new Set<(batch: DecidedBatch) => void>();
  private readonly rejectedByField = new Map<string, number>();
  private readonly rates = new RateMeter(2);
  private readonly sampler: NodeJS.Timeout;
  private readonly submitted: WriterCounts = { transactions: 0, labels: 0 };
  private rejected = 0;
  private closed = false;
  private readonly versions: LiveVersions;
  private readonly challenger: ChallengerLane;
  /** The rules' stats taken as the scorer closed. */
  private finalRules: RulesInfo | undefined;
  /** The live rules text, where it came from, and the live bundle (see {@link liveConfig}). */
  private live: LiveConfig = { rulesText: '', rulesOrigin: 'none', bundle: undefined };

  private constructor(options: ResolvedOptions, scorer: Scorer) {
    this.options = options;
    this.scorer = scorer;
    const live = scorer.ruleStats();
    this.versions = new LiveVersions(live.generation, {
      version: live.version === '' ? options.modelVersion : live.version,
      rules: live.rules.map((r) => r.name),
    });
    this.faults = faultsFromEnv();
    this.ring = SharedRing.create({ capacity: options.capacity, recordSize: RECORD_SIZE });
    this.consumer = this.ring.consumer();
    this.records = new RecordViews(this.ring.buffer, this.ring.dataOffset, options.capacity);
    this.results = new ResultViews(new SharedArrayBuffer(options.capacity * RESULT_SIZE), 0, options.capacity);
    this.ids = new Array<string | undefined>(options.capacity);
    this.sink = new RingSink(this.ring, this.ids, this.onPublish, (e) => this.reject(e));
    const cardRefs = new CardRefHasher(options.cardRefSecret);
    this.accountant = new Accountant(this.records, this.results, this.sink.dueMs, this.ids, this.versions, this.faults, cardRefs);
    this.challenger = new ChallengerLane(options.capacity, options.maxInFlightBatches, this.records, this.results, cardRefs, this.ids);
    this.columns = options.stageDecisionColumns ? DecisionColumns.create(options.capacity) : undefined;
    this.dispatcher = new Dispatcher(options, this.consumer, this.records, this.results, scorer, this.faults, this.finished, this.challenger, this.columns);
    this.writers.add(() => this.submitted);
    this.sampler = setInterval(() => {
      const c = this.accountant.counts;
      this.rates.sample(now(), this.writtenTx() + this.rejected, c.scored + c.invalid + c.fallback);
    }, 100);
    this.sampler.unref();
  }

  /** Validates options, opens the scorer with its model and starts the worker pool. */
  static async create(options: EngineOptions): Promise<Engine> {
    const resolved = resolveOptions(options);
    const scorer = Scorer.open({
      thresholds: resolved.thresholds,
      labelDelayDays: resolved.labelDelayDays,
      ...(resolved.rules === undefined ? {} : { rules: resolved.rules }),
    });
    let engine: Engine | undefined;
    try {
      scorer.loadModel(resolved.modelJson);
      let bundle: BundleInfo | undefined;
      if (resolved.bundle !== undefined) {
        bundle = scorer.loadBundle(resolved.bundle);
        resolved.thresholds = { review: bundle.review, decline: bundle.decline };
      }
      engine = new Engine(resolved, scorer);
      if (resolved.bundle !== undefined && bundle !== undefined) engine.live = bundleConfig(resolved.bundle, bundle);
      if (resolved.challenger !== undefined) {
        try {
          engine.setChallenger(resolved.challenger);
        } catch (err) {
          throw new Error(`options.challenger: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
        }
      }
      await engine.dispatcher.warmUp();
      return engine;
    } catch (err) {
      if (engine !== undefined) {
        await engine.dispatcher.close();
        engine.challenger.close();
      }
      scorer.close();
      throw err;
    }
  }

  /**
   * Adds a writer's own count of the records it put into the ring (a source registers itself once); the stats
   * report the sum as `written`. Returns a function that removes it.
   */
  addWriter(counts: () => WriterCounts): () => void {
    this.writers.add(counts);
    return () => this.writers.delete(counts);
  }

  /**
   * Lets batches of at most `n` records be scored on the engine's thread when nothing is in flight (0 turns it off,
   * the default): see `Dispatcher.setInlineMaxBatch`. The scoring API turns it on for small request batches.
   */
  setInlineMaxBatch(n: number): void {
    this.dispatcher.setInlineMaxBatch(n);
  }

  /** Counts an input rejected by validation: it never enters the ring. */
  reject(error: ValidationError): void {
    this.rejected++;
    this.rejectedByField.set(error.field, (this.rejectedByField.get(error.field) ?? 0) + 1);
  }

  /**
   * Validates one transaction (a parsed JSON value) and, if valid, writes it into the ring. An invalid one is counted
   * as rejected, with the error naming the field. Meant for request-sized inputs (HTTP, Kafka); bulk sources write
   * records through {@link sink} directly.
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
    const sink = this.sink;
    if (sink.claim(1) === 0) return { state: 'full' };
    const slot = sink.claimedSlot;
    const seq = sink.claimedSeq;
    const t = now();
    this.records.writeTransaction(slot, v.value, t);
    sink.dueMs[slot] = t;
    if (Number.isNaN(this.records.txNum(slot))) this.ids[slot] = v.value.id;
    sink.publish(1);
    this.submitted.transactions++;
    return { state: 'accepted', seq };
  }

  /**
   * Asks the engine to cut every record published so far without waiting for its linger: for a writer that gathered
   * its own micro-batch (the server's scoring API) and has a caller waiting for each decision.
   */
  flush(): void {
    this.dispatcher.flush();
  }

  /** The version label new batches' decisions carry (changes with {@link loadModel}, rules and bundle swaps). */
  get currentModelVersion(): string {
    return this.versions.live.version;
  }

  /** Changes the decision thresholds for batches scored from now on. */
  setThresholds(thresholds: Thresholds): void {
    checkThresholds(thresholds, 'thresholds');
    this.scorer.setThresholds(thresholds);
    this.options.thresholds = { ...thresholds };
    this.recordGeneration({});
  }

  /** Replaces the model atomically; batches already running finish with the old one. */
  loadModel(modelJson: string, modelVersion: string): void {
    this.scorer.loadModel(modelJson);
    this.recordGeneration({ version: modelVersion });
  }

  /**
   * Replaces the live rules and allow/block lists between batches, without stopping the stream: batches already cut
   * finish with the old set. Decisions of the new set carry the live version + `+rules@` + 8 hex of the text's
   * SHA-256. Throws naming the rule, line and column of the first problem, leaving the live set in force. `origin`
   * (what set it: the API by default, or the watched file) is what {@link liveConfig} reports.
   */
  setRules(rules: string, origin: RulesOrigin = 'api'): RulesInfo {
    const info = this.scorer.setRules(rules);
    this.live = { ...this.live, rulesText: rules, rulesOrigin: origin };
    const base = this.versions.live.version.split('+rules@')[0] ?? '';
    const hash = createHash('sha256').update(rules).digest('hex').slice(0, 8);
    this.versions.set(info.generation, { version: `${base}+rules@${hash}`, rules: info.rules.map((r) => r.name) });
    return info;
  }

  /**
   * Swaps the decision bundle (model, thresholds, rules, lists: JSON text) in one step between batches, without
   * stopping the stream; every decision carries the version of the bundle that made it. Throws naming the field of
   * the first problem, leaving the live bundle in force.
   */
  swapBundle(bundle: string): BundleInfo {
    const info = this.scorer.loadBundle(bundle);
    this.options.thresholds = { review: info.review, decline: info.decline };
    this.versions.set(info.generation, { version: info.version, rules: info.rules });
    this.live = bundleConfig(bundle, info);
    return info;
  }

  /** The live rules text (as set; '' when none), where it came from, and the live bundle (undefined when none was loaded). */
  liveConfig(): LiveConfig {
    return { ...this.live, version: this.versions.live.version };
  }

  /**
   * Makes a bundle (JSON text) the challenger, replacing any: from the next batch on, every batch is also scored in
   * shadow by it, with its own state (fresh: it sees the stream from now on), and its decisions are only counted,
   * sampled and compared (`stats().challenger`), never acted on. Throws naming the field of the first problem,
   * leaving the live challenger in force.
   */
  setChallenger(bundle: string): BundleInfo {
    if (this.closed) throw new EngineClosedError();
    const o = this.options;
    return this.challenger.load(bundle, { thresholds: o.thresholds, labelDelayDays: o.labelDelayDays, ...(o.rules === undefined ? {} : { rules: o.rules }) });
  }

  /** Removes the challenger: batches cut from now on are not shadowed. Returns whether one was live. */
  removeChallenger(): boolean {
    return this.challenger.remove();
  }

  /**
   * Calls `listener` with every batch the challenger decided in shadow (its own results region, its bundle's version
   * and rule names), in ingest order, before the slots are reused: for a shadow decision log. Returns an unsubscribe.
   */
  onShadowBatch(listener: (batch: ShadowBatch) => void): () => void {
    return this.challenger.onShadowBatch(listener);
  }

  /** The live challenger's bundle (its info and JSON text), or undefined. */
  get challengerBundle(): { info: BundleInfo; text: string } | undefined {
    return this.challenger.bundle;
  }

  /**
   * Promotes the challenger: its bundle becomes the champion's in one swap between batches (the champion keeps its
   * own card and terminal state, which has seen the whole stream), and the challenger slot is emptied; the old
   * champion is dropped. Decisions from the next batch on carry the promoted bundle's version. Throws a RangeError
   * when no challenger is live.
   */
  promoteChallenger(): BundleInfo {
    const live = this.challenger.bundle;
    if (live === undefined) throw new RangeError('no challenger is loaded');
    const info = this.swapBundle(live.text);
    this.challenger.remove();
    return info;
  }

  /**
   * The live rules with their hit counts (kept in Rust), the list sizes and hits, and the live generation; after
   * {@link close}, the last ones (stats stay readable on a closed engine).
   */
  ruleStats(): RulesInfo {
    return this.finalRules ?? this.scorer.ruleStats();
  }

  /**
   * What scorer generation `generation` (a result's `generation(slot)`) was: its version label and live rule names.
   * The live one for the fallback (0) and for generations too old to be remembered (see {@link LiveVersions}).
   */
  generationInfo(generation: number): GenerationInfo {
    return this.versions.of(generation);
  }

  /** Records the generation the scorer now has, with `info` over the live one's. */
  private recordGeneration(info: Partial<GenerationInfo>): void {
    const live = this.scorer.ruleStats();
    this.versions.set(live.generation, { ...this.versions.live, ...info });
  }

  /**
   * Places a checkpoint barrier after every record written to the ring so far and returns its sequence number
   * (the count of records before it): `take(ticket)` is called on this thread once every batch before it is cut, with
   * the ticket to pass to `scorer.snapshot`; no batch spans it. Decided batches before it reach `onBatch` listeners
   * before any batch after it. Call it between source writes (on the source's thread, not inside a write).
   */
  barrier(take: (ticket: number) => void): number {
    if (this.closed) throw new EngineClosedError();
    return this.dispatcher.barrier(take);
  }

  /** Calls `listener` with every decided batch, in ingest order, before its slots are reused. Returns an unsubscribe. */
  onBatch(listener: (batch: DecidedBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The string id of the transaction in `slot` when its record's txNum is NaN (ids that are not integers). */
  stringId(slot: number): string | undefined {
    return this.ids[slot];
  }

  /** Takes the sampled feed and the alerts gathered since the last call. */
  drainEvents(maxFeed: number, maxAlerts: number): DrainedEvents {
    return this.accountant.drainEvents(maxFeed, maxAlerts);
  }

  /** A consistent snapshot of the counts (all kept on this thread), rates and latency. */
  stats(): EngineStats {
    const t = now();
    const d = this.dispatcher.counts();
    const a = this.accountant.snapshot();
    let written = 0;
    let labelsWritten = 0;
    for (const w of this.writers) {
      const c = w();
      written += c.transactions;
      labelsWritten += c.labels;
    }
    const decided = a.scored + a.invalid + a.fallback;
    const latency = this.accountant.latencySummary();
    return {
      counts: {
        written,
        consumed: d.consumedTx,
        scored: a.scored,
        invalid: a.invalid,
        fallback: a.fallback,
        decided,
        approved: a.approved,
        review: a.review,
        declined: a.declined,
        rejected: this.rejected,
        inFlight: d.inFlightTx,
        ingested: written + this.rejected,
        labels: { written: labelsWritten, consumed: d.consumedLabels, applied: a.labelsApplied, failed: a.labelsFailed, inFlight: d.inFlightLabels },
      },
      throughput: { ingestTps: Math.round(this.rates.rate(0, t, written + this.rejected)), decideTps: Math.round(this.rates.rate(1, t, decided)) },
      latencyMs: latency.ingest,
      scheduleLatencyMs: latency.schedule,
      quality: this.accountant.quality.summary(),
      queue: { depth: this.dispatcher.waiting(), occupied: this.ring.depth(), capacity: this.options.capacity },
      workers: { count: this.options.workers, deaths: d.workerDeaths },
      labels: a.labelsApplied,
      errors: { rejectedByField: Object.fromEntries(this.rejectedByField), scorerFailures: d.failedBatches },
      batches: {
        dispatched: d.batches,
        meanSize: d.batches === 0 ? 0 : (d.consumedTx + d.consumedLabels) / d.batches,
        failed: d.failedBatches,
        retried: d.retriedBatches,
        inline: d.inlineBatches,
        inlineTx: d.inlineTx,
      },
      thresholds: { ...this.options.thresholds },
      batchesInFlight: d.batchesInFlight,
      challenger: this.challenger.stats(),
      ...(this.faults === undefined ? {} : { faults: this.faults }),
    };
  }

  /**
   * Every latency recorded since the engine started, as new HDR histograms in microseconds (the caller owns them:
   * subtract an earlier copy to get a window, e.g. after a warm-up): ingest and schedule to decision.
   */
  latencyTotals(): { ingest: Histogram; schedule: Histogram } {
    return this.accountant.latencyTotals();
  }

  /**
   * What an operator's metrics read at scrape time besides {@link stats}: the whole-run latency buckets (fed per run
   * with the HDR windows), the workers' busy time (ms) and the model version. Nothing here is counted per record.
   */
  telemetry(): EngineTelemetry {
    return {
      ingestLatency: this.accountant.latency.buckets.snapshot(),
      scheduleLatency: this.accountant.scheduleLatency.buckets.snapshot(),
      queueWait: this.accountant.queueWait.snapshot(),
      batchTime: this.accountant.batchTime.snapshot(),
      workerBusyMs: this.dispatcher.busyMs(),
      modelVersion: this.versions.live.version,
    };
  }

  /** Resolves once every record published so far is decided (linger is skipped while draining). */
  drain(): Promise<void> {
    return this.dispatcher.drain();
  }

  /** Drains, then stops the worker pool and frees the scorer. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain();
    this.closed = true;
    clearInterval(this.sampler);
    await this.dispatcher.close();
    this.challenger.close();
    this.finalRules = this.scorer.ruleStats();
    this.scorer.close();
  }

  private writtenTx(): number {
    let n = 0;
    for (const w of this.writers) n += w().transactions;
    return n;
  }

  private readonly onPublish = (): void => {
    if (this.closed) throw new EngineClosedError();
    this.dispatcher.onPublish();
  };

  private readonly finished = (batch: FinishedBatch): void => {
    this.accountant.account(batch);
    this.challenger.finished(batch);
    // Always taken (and so cleared), so a later batch at the same slot never sees this one's mark.
    const stagedCount = this.columns === undefined ? -1 : this.columns.take(batch.slot);
    if (this.listeners.size > 0) {
      const c = this.columns;
      const decided: DecidedBatch = {
        records: this.records,
        results: this.results,
        slot: batch.slot,
        seq: batch.seq,
        count: batch.handed,
        fallback: batch.fallback,
        ...(c === undefined || stagedCount < 0 || batch.fallback
          ? {}
          : {
              staged: {
                ts: c.ts,
                txNum: c.txNum,
                card: c.card,
                score: c.score,
                decision: c.decision,
                flag: c.flag,
                slotOf: c.slotOf,
                start: batch.slot,
                count: stagedCount,
                generation: c.generation[batch.slot] ?? 0,
              },
            }),
      };
      for (const listener of this.listeners) listener(decided);
    }
    // String ids are released only now: listeners (the decision log, the case writer) read them by slot.
    const ids = this.ids;
    for (let s = batch.slot; s < batch.slot + batch.handed; s++) if (ids[s] !== undefined) ids[s] = undefined;
  };
}
