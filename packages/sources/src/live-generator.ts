import { packCurrency } from '@fraudstream/schema';
import { ATTACK_ID_BASE, ATTACK_KINDS, buildAttack, writeAttackRecord, type AttackKind, type AttackTransaction } from './attack-scenarios.js';
import { numberInRange } from './errors.js';
import { writeAllLabels } from './label-queue.js';
import { Halt, PacedSource, type LabelledSourceOptions, type SourceStats } from './paced-source.js';
import type { DayBatch } from './simulator/day-batch.js';
import type { SimulatorOptions } from './simulator/options.js';
import { Simulator } from './simulator/simulator.js';
import type { GeneratorPosition, ResumableSource, SourceCheckpoint } from './source-position.js';

/** Lowest generator rate, transactions per second. */
export const MIN_TPS = 1;
/** Highest generator rate, transactions per second. */
export const MAX_TPS = 5_000_000;
/** Most slots claimed at once. */
const CHUNK = 8192;
const EUR = packCurrency('EUR');
/** Most injected attack transactions waiting to be written; `inject` refuses more (RangeError). */
export const MAX_PENDING_INJECTED = 10_000;

/** Options of {@link LiveGenerator}: the simulator's plus pacing and labels. `days` defaults to Infinity here. */
export interface LiveGeneratorOptions extends SimulatorOptions, LabelledSourceOptions {
  /** Transactions per second of wall time, 1 .. 5,000,000, or 'max': unpaced, as fast as the sink takes them. */
  tps: number | 'max';
  /**
   * Resume from a checkpoint of a generator with the same seed and population ({@link LiveGenerator.checkpoint}):
   * the simulator continues from the checkpoint's saved state (or, for a checkpoint without one, is fast-forwarded
   * to its day: it is deterministic per seed) at the position's index, and the pending labels are restored. A position from other simulator options is a RangeError naming the option.
   */
  resume?: SourceCheckpoint;
}

/**
 * The simulator as a live source: paced at `tps` in wall time, writing 64-byte records straight into a
 * {@link RecordSink} in chunks (claim -> write typed arrays -> publish), with labels following each transaction
 * `labelDelayDays` later in simulated time. Runs forever unless `days` is given.
 * Note: the emission loop copies numbers from the simulator's typed arrays into the sink's views; it allocates
 * nothing and hashes nothing per transaction.
 */
export class LiveGenerator extends PacedSource implements ResumableSource {
  /** The simulator feeding this generator (its population, options, start date). */
  readonly simulator: Simulator;
  private batch: DayBatch | undefined;
  private index = 0;
  private exhausted = false;
  /** Injected attack transactions waiting for the next tick (the ring has one producer: this generator). */
  private injectQueue: AttackTransaction[] = [];
  private injectHead = 0;
  private injected = 0;
  private readonly baseTransactions: number;

  constructor(options: LiveGeneratorOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    const tps = options.tps === 'max' ? Infinity : numberInRange(options.tps, 'options.tps', MIN_TPS, MAX_TPS);
    super(tps, options);
    this.simulator = new Simulator(options, Infinity);
    this.simulatedTimeMs = this.simulator.startMs;
    this.baseTransactions = 0;
    if (options.resume !== undefined) {
      const p = options.resume.position;
      if (p.kind !== 'generator') throw new TypeError(`options.resume is a ${p.kind} position, not a generator's`);
      const o = this.simulator.options;
      for (const k of ['seed', 'customers', 'terminals', 'scenarios', 'startMs'] as const) {
        if (p[k] !== o[k]) throw new RangeError(`options.resume: the checkpoint's generator has ${k} ${String(p[k])}, this one ${String(o[k])}`);
      }
      if (options.resume.state !== undefined) {
        // The simulator's saved state: constant time, whatever the position.
        this.simulator.restoreState(options.resume.state, 'options.resume.state');
        if (this.simulator.day !== p.day) throw new RangeError(`options.resume.state is at day ${this.simulator.day}, the position at day ${p.day}`);
        this.batch = this.simulator.currentBatch();
      } else {
        // No saved state (an older checkpoint): the simulator is deterministic per seed, so generating the same days
        // again reaches the same state, in time growing with the position.
        for (let d = 0; d < p.day; d++) this.batch = this.simulator.nextDay();
      }
      this.index = p.index;
      // The simulator had run out of days (only labels were left to write).
      if (p.exhausted === true) {
        this.batch = undefined;
        this.exhausted = true;
      }
      this.injected = p.injected;
      this.simulatedTimeMs = p.simulatedTimeMs;
      this.baseTransactions = p.transactions;
      this.queue.loadBytes(options.resume.labels, 'options.resume.labels');
    }
  }

  /**
   * The position covering exactly the transactions written so far (simulator day and index, attack ids used) and
   * the labels still waiting; `seqBase` (the ring sequence number of the barrier) is subtracted from the labels'
   * sequence numbers, and the simulator's state (see `Simulator.saveState`). Attacks queued by {@link inject} and not
   * yet written are not part of it. Call between writes.
   */
  checkpoint(seqBase: number): SourceCheckpoint {
    const o = this.simulator.options;
    const position: GeneratorPosition = {
      kind: 'generator',
      seed: o.seed,
      customers: o.customers,
      terminals: o.terminals,
      scenarios: o.scenarios,
      startMs: o.startMs,
      day: this.simulator.day,
      index: this.index,
      exhausted: this.exhausted,
      transactions: this.baseTransactions + this.generated,
      injected: this.injected,
      simulatedTimeMs: this.simulatedTimeMs,
    };
    return { position, labels: this.queue.toBytes(seqBase), state: this.simulator.saveState() };
  }

  /** Changes the rate (1 .. 5,000,000 transactions per second), effective at once. */
  setTps(tps: number): void {
    this.changeRate(numberInRange(tps, 'tps', MIN_TPS, MAX_TPS));
  }

  /**
   * Queues an attack (see `buildAttack`) that the next ticks write into the ring ahead of the simulated traffic,
   * with fraud labels following like any other transaction. Returns how many transactions were queued. They are
   * written only while the generator runs. Throws TypeError for an unknown kind, RangeError when
   * `MAX_PENDING_INJECTED` transactions are already waiting.
   */
  inject(kind: AttackKind): number {
    if (!(ATTACK_KINDS as readonly unknown[]).includes(kind)) {
      throw new TypeError(`kind must be one of ${ATTACK_KINDS.join(', ')}`);
    }
    const attack = buildAttack(kind, this.simulator.population);
    if (this.injectQueue.length - this.injectHead + attack.length > MAX_PENDING_INJECTED) {
      throw new RangeError(`too many injected transactions pending (at most ${MAX_PENDING_INJECTED})`);
    }
    this.injectQueue.push(...attack);
    return attack.length;
  }

  /** Current counters, with `injected`: attack transactions written so far, and `pendingInjected`. */
  stats(): SourceStats & { injected: number; pendingInjected: number } {
    return { ...this.sourceStats(), injected: this.injected, pendingInjected: this.injectQueue.length - this.injectHead };
  }

  /** Writes pending injected transactions (all of them unless the ring is full); they do not spend pacing tokens. */
  private writeInjected(): void {
    const sink = this.sink;
    const pop = this.simulator.population;
    while (this.injectHead < this.injectQueue.length) {
      const k = sink.claim(Math.min(this.injectQueue.length - this.injectHead, CHUNK));
      if (k === 0) return;
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const ingestMs = performance.timeOrigin + performance.now();
      const baseTs = Number.isNaN(this.simulatedTimeMs) ? this.simulator.startMs : this.simulatedTimeMs;
      for (let s = 0; s < k; s++) {
        const tx = this.injectQueue[this.injectHead + s]!;
        const ts = baseTs + tx.offsetMs;
        writeAttackRecord(sink.views, slot0 + s, ATTACK_ID_BASE + this.injected + s, ts, tx, pop, ingestMs);
        // Injected transactions are outside the pacing schedule: due when written.
        sink.dueMs[slot0 + s] = ingestMs;
        if (this.labels && !this.queue.full) {
          const c = tx.customer * 2;
          const t = tx.terminal * 2;
          this.queue.push(seq0 + s, ts, pop.cardKeys[c]!, pop.cardKeys[c + 1]!, pop.terminalKeys[t]!, pop.terminalKeys[t + 1]!, 1);
        }
      }
      sink.publish(k);
      this.injectHead += k;
      this.injected += k;
      this.generated += k;
    }
    this.injectQueue = [];
    this.injectHead = 0;
  }

  /** The current day with at least one transaction left, advancing days as needed; undefined at the end. */
  private current(): DayBatch | undefined {
    let b = this.batch;
    while (b === undefined || this.index >= b.count) {
      if (this.exhausted) return undefined;
      b = this.simulator.nextDay();
      this.index = 0;
      this.batch = b;
      if (b === undefined) {
        this.exhausted = true;
        return undefined;
      }
    }
    return b;
  }

  protected override emit(budget: number): number {
    const sink = this.sink;
    const views = sink.views;
    const pop = this.simulator.population;
    const cardKeys = pop.cardKeys;
    const termKeys = pop.terminalKeys;
    const extended = this.simulator.options.scenarios === 'all';
    const termWord = pop.terminalWord;
    const termCountry = pop.terminalCountry;
    const termLat = pop.terminalLat;
    const termLon = pop.terminalLon;
    const queue = this.queue;
    const due = sink.dueMs;
    const labels = this.labels;
    const delayMs = this.delayMs;
    if (this.injectHead < this.injectQueue.length) this.writeInjected();
    let written = 0;
    while (written < budget) {
      const b = this.current();
      if (b === undefined) {
        this.flushLabels();
        return written;
      }
      // A chunk never crosses a day, so every claimed slot can be filled from this day's remaining transactions.
      const k = sink.claim(Math.min(budget - written, CHUNK, b.count - this.index));
      if (k === 0) {
        this.halt = Halt.SinkFull;
        return written;
      }
      const slot0 = sink.claimedSlot;
      const seq0 = sink.claimedSeq;
      const ingestMs = performance.timeOrigin + performance.now();
      const { timeSec, customer, terminal, amount, fraud } = b;
      const dayStartMs = b.dayStartMs;
      const firstId = b.firstId;
      let i = this.index;
      let lastTs = this.simulatedTimeMs;
      const first = i;
      for (let s = 0; s < k; s++) {
        const slot = slot0 + s;
        const ts = dayStartMs + timeSec[i]! * 1000;
        if (queue.size > 0 && (queue.headTs() + delayMs <= ts || queue.full)) {
          queue.writeHead(views, slot, ingestMs);
          this.labelsEmitted++;
          continue;
        }
        const c = customer[i]! * 2;
        const t = terminal[i]! * 2;
        views.setHeader(slot, firstId + i, ts, amount[i]!, ingestMs);
        views.setKeys(slot, cardKeys[c]!, cardKeys[c + 1]!, termKeys[t]!, termKeys[t + 1]!);
        // mcc, channel and card-present flags, country, currency EUR, terminal location; all unknown with the
        // handbook-only scenarios (whose data has no such fields).
        if (extended) {
          const term = terminal[i]!;
          views.setTerminalFields(slot, termWord[term]!, termCountry[term]!, EUR, termLat[term]!, termLon[term]!);
        } else {
          views.setTerminalFields(slot, 0, 0, EUR, Number.NaN, Number.NaN);
        }
        if (labels) {
          queue.push(seq0 + s, ts, cardKeys[c]!, cardKeys[c + 1]!, termKeys[t]!, termKeys[t + 1]!, fraud[i]!);
        }
        due[slot] = this.dueAt(written + i - first);
        lastTs = ts;
        i++;
      }
      sink.publish(k);
      this.index = i;
      this.simulatedTimeMs = lastTs;
      this.generated += i - first;
      written += i - first;
    }
    return written;
  }

  /** At the end of the input: writes every pending label, then ends. */
  private flushLabels(): void {
    this.labelsEmitted += writeAllLabels(this.queue, this.sink);
    this.halt = this.queue.size > 0 ? Halt.SinkFull : Halt.Ended;
  }

}
