import { Piscina } from 'piscina';
import type { RecordViews, ResultViews } from '@fraudstream/schema';
import type { RingConsumer } from '@fraudstream/queue';
import { writeFallback, type Scorer } from '@fraudstream/scorer';
import { BatchBoard, BUSY_NS, DONE, FAILED, type BatchReport } from './batch-control.js';
import type { DispatchCounts, FinishedBatch } from './batches.js';
import type { DecisionColumns } from './decision-columns.js';
import type { Faults } from './faults.js';
import type { ResolvedOptions } from './options.js';
import type { ScoreTask, TaskResult, WorkerInit } from './worker.js';

/** The challenger's hooks into the cut (see challenger.ts): its shared descriptors, results, and per-batch calls. */
export interface ShadowHooks {
  /** The shadow descriptors (shadow-control.ts), sized for the same ticket places as the batch descriptors. */
  readonly descriptors: SharedArrayBuffer;
  /** The challenger's results region (same slots as the champion's). */
  readonly results: Uint8Array;
  /** Called for each batch before it is published: writes its shadow descriptor (a challenger, or none). */
  assign(ticket: number, tx: number): void;
  /** Whether a challenger is live (its batches are never scored inline on the engine's thread). */
  readonly active: boolean;
  /** The batch's worker died after its champion scoring: its shadow ticket is given up. */
  abandon(ticket: number): void;
}

interface InFlight {
  ticket: number;
  seq: number;
  slot: number;
  count: number;
  handed: number;
  tx: number;
  labels: number;
  /** A retry on a fresh worker was already tried after its worker died. */
  retried: boolean;
  /** When it was cut, epoch ms. */
  cutMs: number;
}

const now = (): number => performance.timeOrigin + performance.now();

/**
 * Cuts micro-batches from the ring (by size, or when the oldest record has waited `lingerMs`), publishes them for
 * the worker tasks to claim (batch-control.ts), runs enough tasks, collects finished batches in ticket order,
 * decides failed ones by the fallback, retries a batch whose worker died before scoring it, and hands each finished
 * batch to `onFinished` before releasing its slots to the source.
 */
export class Dispatcher {
  private readonly board: BatchBoard;
  private readonly pool: Piscina<ScoreTask, TaskResult>;
  private readonly inFlight: InFlight[] = [];
  private readonly ledger: DispatchCounts = {
    consumedTx: 0,
    consumedLabels: 0,
    inFlightTx: 0,
    inFlightLabels: 0,
    batches: 0,
    failedBatches: 0,
    retriedBatches: 0,
    workerDeaths: 0,
    batchesInFlight: 0,
    inlineBatches: 0,
    inlineTx: 0,
  };
  /** Largest batch scored on this thread when nothing is in flight (0: never; see {@link setInlineMaxBatch}). */
  private inlineMaxBatch = 0;
  private inlineQueued = false;
  /** Sequence number of the next record to cut. */
  private cutSeq: number;
  private nextTicket = 0;
  private tasks = 0;
  private nextTaskId = 0;
  private pumpScheduled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private draining = 0;
  /** Records published before this sequence number are cut without waiting for the linger (see {@link flush}). */
  private flushSeq = 0;
  private drainWaiters: (() => void)[] = [];
  /** Checkpoint barriers waiting for the cut to reach their sequence number, oldest first. */
  private barriers: { seq: number; take: (ticket: number) => void }[] = [];
  private closed = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly consumer: RingConsumer,
    private readonly records: RecordViews,
    private readonly results: ResultViews,
    private readonly scorer: Scorer,
    private readonly faults: Faults | undefined,
    private readonly onFinished: (batch: FinishedBatch) => void,
    private readonly shadow: ShadowHooks,
    columns?: DecisionColumns,
  ) {
    this.cutSeq = consumer.released;
    this.board = new BatchBoard(options.maxInFlightBatches);
    const init: WorkerInit = {
      records: records.u8,
      results: results.u8,
      handle: scorer.handle,
      counters: this.board.counters.buffer as SharedArrayBuffer,
      descriptors: this.board.descriptors.buffer as SharedArrayBuffer,
      descriptorMask: this.board.mask,
      faults,
      shadow: shadow.descriptors,
      shadowResults: shadow.results,
      columns: columns?.buffer,
      cardRefSecret: columns === undefined ? undefined : Uint8Array.from(options.cardRefSecret),
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
    this.board.watch(() => this.complete(), () => this.closed);
  }

  /**
   * Lets a batch of at most `n` records be scored on this thread, synchronously, when no batch is in flight and the
   * scorer has passed every earlier ticket (so its ordering gate admits this ticket at once and never blocks the
   * event loop): no publish, no worker wake-up, no thread hop. The decisions are real ones (same scorer, same state,
   * same ticket order), counted apart as `inlineBatches`/`inlineTx`. Never with test faults (they target workers).
   * 0 turns it off (the default).
   */
  setInlineMaxBatch(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 65_536) throw new RangeError('inlineMaxBatch must be an integer from 0 to 65536');
    this.inlineMaxBatch = n;
  }

  /** Runs an empty task on every worker, so each has loaded the addon before the first transaction arrives. */
  async warmUp(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.workers }, () => this.pool.run({ id: -1 })));
  }

  /** The dispatcher's counts (a copy). */
  counts(): DispatchCounts {
    return { ...this.ledger, batchesInFlight: this.inFlight.length };
  }

  /**
   * Worker busy time so far, ms: the time the workers spent in the scorer call (`scoreBatch`, including the wait at
   * the addon's ordering gate), summed by the workers per batch in shared memory. Idle waits for a publish are not in it.
   */
  busyMs(): number {
    return Number(Atomics.load(this.board.counters, BUSY_NS)) / 1e6;
  }

  /** Records published in the ring and not yet cut into a batch. */
  waiting(): number {
    return this.consumer.published() - this.cutSeq;
  }

  /**
   * Called each time a source publishes: accounts batches already finished and cuts full batches at once (a source
   * writes up to 16k records per turn of the event loop; without this, workers that finish their batches during
   * that turn would wait for its end), then asks for a pump on the next turn for the rest (partial batches, linger).
   */
  readonly onPublish = (): void => {
    if (this.closed) return;
    this.finish();
    const published = this.consumer.published();
    const { maxBatch, maxInFlightBatches, capacity } = this.options;
    this.takeBarriers();
    // Full batches only, never across a pending checkpoint barrier, with the same ticket bound as the pump.
    while (this.ticketSpan() < maxInFlightBatches) {
      const barrier = this.barriers[0];
      if ((barrier === undefined ? published : barrier.seq) - this.cutSeq < maxBatch) break;
      const slot = this.consumer.slotOf(this.cutSeq);
      this.cut(slot, Math.min(maxBatch, capacity - slot));
      this.takeBarriers();
    }
    this.schedulePump();
  };

  /** Asks for a pump on the next turn of the event loop. */
  readonly schedulePump = (): void => {
    if (this.closed || this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(this.pump);
  };

  /**
   * Cuts every record published so far now, without waiting for `lingerMs` (records published later linger as usual):
   * for a writer that has gathered its own micro-batch (the server's scoring API) and must not wait a second linger.
   */
  flush(): void {
    this.flushSeq = this.consumer.published();
    // Cut now rather than on the next turn of the event loop: the caller has a request waiting on each record.
    if (!this.closed) this.pump();
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

  /**
   * Places a checkpoint barrier after every record published so far (sequence number `seq`, returned): no batch is
   * cut across it (linger is skipped until it is placed), and once the cut reaches it `take(ticket)` is called on
   * this thread with a ticket of its own between the batches before and after it, for the scorer's snapshot
   * (`Scorer.snapshot(path, meta, ticket)`), which then holds exactly the records before `seq`.
   */
  barrier(take: (ticket: number) => void): number {
    if (this.closed) throw new Error('the dispatcher is closed');
    const seq = this.consumer.published();
    this.barriers.push({ seq, take });
    this.takeBarriers();
    this.schedulePump();
    return seq;
  }

  /** Stops the workers (after a drain by the caller). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Ends the pending Atomics.waitAsync on COMPLETED and wakes idle worker tasks, which then end.
    this.board.stop();
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    await this.pool.destroy();
  }

  private caughtUp(): boolean {
    return this.consumer.published() === this.cutSeq && this.inFlight.length === 0;
  }

  private readonly pump = (): void => {
    this.pumpScheduled = false;
    if (this.closed) return;
    const published = this.consumer.published();
    const { maxBatch, lingerMs, maxInFlightBatches, capacity } = this.options;
    this.takeBarriers();
    // Tickets from the oldest batch in flight on stay within maxInFlightBatches (barriers take tickets too), so a
    // new batch never reuses the descriptor of one still in flight.
    while (this.cutSeq < published && this.ticketSpan() < maxInFlightBatches) {
      const slot = this.consumer.slotOf(this.cutSeq);
      const barrier = this.barriers[0];
      // A batch never crosses a barrier, and records before one do not linger; nor do flushed ones (see flush).
      const available = (barrier === undefined ? published : barrier.seq) - this.cutSeq;
      if (available < maxBatch && this.draining === 0 && barrier === undefined && this.cutSeq >= this.flushSeq) {
        // Wait for a fuller batch, but never let the oldest record wait longer than lingerMs.
        const age = now() - this.records.ingestMs(slot);
        if (age < lingerMs) {
          this.armLinger(lingerMs - age);
          break;
        }
      }
      this.cut(slot, Math.min(available, maxBatch, capacity - slot));
      this.takeBarriers();
    }
    if (this.drainWaiters.length > 0 && this.caughtUp()) this.wakeDrainers();
  };

  /** Tickets taken since the oldest batch still in flight (batches and barriers); 0 when none is in flight. */
  private ticketSpan(): number {
    const oldest = this.inFlight[0];
    return oldest === undefined ? 0 : this.nextTicket - oldest.ticket;
  }

  /** Gives a ticket to each barrier the cut has reached. */
  private takeBarriers(): void {
    while (this.barriers.length > 0 && (this.barriers[0] as { seq: number }).seq === this.cutSeq) {
      const b = this.barriers.shift() as { take: (ticket: number) => void };
      b.take(this.nextTicket++);
    }
  }

  private armLinger(ms: number): void {
    if (this.lingerTimer !== undefined) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      this.pump();
    }, Math.max(1, Math.ceil(ms)));
  }

  /** Takes `count` records from the ring as one batch, classifies them, publishes the batch for the workers. */
  private cut(slot: number, count: number): void {
    const seq = this.cutSeq;
    let handed = count;
    const drop = this.faults?.dropRecordSeq;
    if (drop !== undefined && drop >= seq && drop < seq + count) {
      // Test fault: the batch ends at the dropped record, which is released with it but never handed to the scorer.
      count = drop - seq + 1;
      handed = count - 1;
    }
    let labels = 0;
    for (let s = slot; s < slot + count; s++) if (this.records.isLabel(s)) labels++;
    const tx = count - labels;
    const ticket = this.nextTicket++;
    this.shadow.assign(ticket, tx);
    const cutMs = now();
    const inline = this.canInline(ticket, handed);
    if (inline) this.scoreInline(ticket, slot, handed);
    else this.board.publish(ticket, slot, handed);
    this.inFlight.push({ ticket, seq, slot, count, handed, tx, labels, retried: false, cutMs });
    this.cutSeq += count;
    const l = this.ledger;
    l.consumedTx += tx;
    l.consumedLabels += labels;
    l.inFlightTx += tx;
    l.inFlightLabels += labels;
    l.batches++;
    if (inline) {
      l.inlineBatches++;
      l.inlineTx += tx;
      // Finished (listeners, slot release) once the current cut loop is over, not from inside it.
      if (!this.inlineQueued) {
        this.inlineQueued = true;
        queueMicrotask(this.completeInline);
      }
    } else {
      this.startTasks();
    }
  }

  private canInline(ticket: number, handed: number): boolean {
    return (
      handed <= this.inlineMaxBatch &&
      this.inFlight.length === 0 &&
      this.faults === undefined &&
      // A challenger scores in the workers, right after the champion: its batches are never scored inline.
      !this.shadow.active &&
      !this.closed &&
      (ticket === 0 || this.scorer.ticketDone(ticket - 1))
    );
  }

  /** Scores one batch here (see {@link setInlineMaxBatch}); an error decides it by the fallback, as a worker's would. */
  private scoreInline(ticket: number, slot: number, count: number): void {
    let report: BatchReport | undefined;
    try {
      report = this.scorer.scoreBatch(this.records.u8, this.results.u8, slot, count, ticket);
    } catch (err) {
      try {
        this.scorer.skipTicket(ticket);
      } catch {
        // The scorer is gone (closing): nothing waits at its gate.
      }
      process.emitWarning(`fraudstream: batch ${ticket} failed, decided by fallback: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.board.settleInline(ticket, slot, count, report);
  }

  private readonly completeInline = (): void => {
    this.inlineQueued = false;
    this.complete();
  };

  /**
   * Runs a worker task while published batches are unclaimed and fewer than `workers` tasks run. A task keeps
   * claiming, and sleeps on the board between publishes, so at a steady load each worker goes from batch to batch
   * without a task message; a task idle for IDLE_MS ends, and a later batch starts a new one.
   */
  private startTasks(): void {
    while (this.tasks < this.options.workers && this.board.unclaimed(this.nextTicket) > 0) {
      this.runTask({ id: this.nextTaskId++ });
    }
  }

  private runTask(task: ScoreTask): void {
    this.tasks++;
    this.pool.run(task).then(
      (result) => {
        this.tasks--;
        for (const f of result.failures) {
          process.emitWarning(`fraudstream: batch ${f.ticket} failed, decided by fallback: ${f.message}`);
        }
        this.complete();
        if (!this.closed) this.startTasks();
      },
      (err: unknown) => {
        this.tasks--;
        this.ledger.workerDeaths++;
        this.recoverFrom(task.id, err);
        this.complete();
        if (!this.closed) this.startTasks();
      },
    );
  }

  /**
   * A task's worker died: each batch it had claimed and not finished is retried once on a fresh worker when the
   * scorer never started it (its ticket has not passed the ordering gate), and otherwise decided by the fallback
   * (its state phase may have run, so scoring it again would count its transactions twice in the card state).
   */
  private recoverFrom(taskId: number, err: unknown): void {
    for (const batch of this.inFlight) {
      const state = this.board.state(batch.ticket);
      if (this.board.owner(batch.ticket) !== taskId || state === DONE || state === FAILED) continue;
      if (!batch.retried && !this.scorer.ticketDone(batch.ticket)) {
        batch.retried = true;
        this.ledger.retriedBatches++;
        const id = this.nextTaskId++;
        this.board.reassign(batch.ticket, id);
        process.emitWarning(`fraudstream: the worker of batch ${batch.ticket} died (${String(err)}); retrying it once`);
        this.runTask({ id, retry: batch.ticket });
      } else {
        this.scorer.skipTicket(batch.ticket);
        this.shadow.abandon(batch.ticket);
        this.board.fail(batch.ticket);
        process.emitWarning(`fraudstream: the worker of batch ${batch.ticket} died (${String(err)}); decided by fallback`);
      }
    }
  }

  /** Finishes batches in ticket order, releases their slots to the source, then asks for a pump. */
  private complete(): void {
    this.finish();
    if (!this.closed) this.schedulePump();
  }

  /** Finishes the batches that are done or failed, in ticket order, and releases their slots to the source. */
  private finish(): void {
    while (this.inFlight.length > 0) {
      const batch = this.inFlight[0] as InFlight;
      const state = this.board.state(batch.ticket);
      if (state !== DONE && state !== FAILED) break;
      this.inFlight.shift();
      const fallback = state === FAILED;
      // The fallback result is written by the scorer's own result writer, like a scored one.
      const fallbackTx = fallback ? writeFallback(this.records.u8, this.results.u8, batch.slot, batch.handed) : 0;
      const l = this.ledger;
      l.inFlightTx -= batch.tx;
      l.inFlightLabels -= batch.labels;
      if (fallback) l.failedBatches++;
      const report = fallback ? { scored: 0, labels: 0, invalid: 0 } : this.board.report(batch.ticket);
      this.onFinished({
        ticket: batch.ticket,
        seq: batch.seq,
        slot: batch.slot,
        count: batch.count,
        handed: batch.handed,
        tx: batch.tx,
        labels: batch.labels,
        cutMs: batch.cutMs,
        doneMs: now(),
        fallback,
        scored: report.scored,
        labelsApplied: report.labels,
        invalid: report.invalid,
        fallbackTx,
      });
      this.consumer.release(batch.count);
    }
  }

  private wakeDrainers(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
