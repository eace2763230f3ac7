import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statfsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Engine, DecidedBatch } from '@fraudstream/engine';
import { featureNames, ruleNames, type SnapshotInfo } from '@fraudstream/scorer';
import { decodeSourceCheckpoint, encodeSourceCheckpoint, type ResumableSource, type SourceCheckpoint } from '@fraudstream/sources';
import { appendDecidedBatch, CardRefHasher, DecisionLog, decisionLogDir, loadOrCreateSecret, type BatchNaming } from '@fraudstream/store';
import {
  CHECKPOINT_FORMAT,
  CheckpointError,
  checkpointsDir,
  labelsName,
  sourceStateName,
  listCheckpoints,
  pruneCheckpoints,
  readCheckpointRecord,
  recordName,
  snapshotName,
  writeCheckpointRecord,
  writeFileAtomic,
  type CheckpointRecord,
} from './checkpoint.js';
import type { ServedLogsStats } from './served-logs.js';

/** Default time between two checkpoints, ms. */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
/** Complete checkpoints kept on disk (the newest is used; the one before is there to fall back to by hand). */
export const CHECKPOINTS_KEPT = 2;
/** How often decisions are written to the log file (queries and the dashboard see them within this), ms. */
const FLUSH_MS = 100;
/** How often the log is made durable between checkpoints (spreads the writeback), ms. */
const SYNC_MS = 1000;
/** After a disk failure: how often free space is probed, ms, and how much must be free to call it back. */
const PROBE_MS = 500;
const MIN_FREE_BYTES = 1024 * 1024;

/** Options of the durable mode: where the data lives and how often a checkpoint is taken. */
export interface DurabilityConfig {
  /** The data dir (created if missing): decision log, checkpoints, card-reference secret. */
  dataDir: string;
  /** Time between checkpoints, ms (default 10,000; at least 50). */
  checkpointIntervalMs?: number;
  /** The card-reference secret (default: the data dir's `card-ref.key`, generated once). */
  cardRefSecret?: Buffer;
  /** Sample rate of approvals in the served-feature log, 0..1 (default 0.02; alerts are all logged); `false`: none. */
  featureLogSample?: number | false;
  /** The engine's label records kept in the label log: `fraud` (default) or `all` (see served-logs.ts). */
  labelLog?: 'fraud' | 'all';
  /** False: neither the served-feature log nor the label log (to measure their cost); default true. */
  servedLogs?: boolean;
}

/** The durability part of the stats. */
export interface DurabilityStats {
  /** False once a write to the data dir failed: the source is stopped and `reason` says why. */
  ok: boolean;
  reason?: string;
  /** After a failure: the data dir has space again and the process should be restarted to recover (see README). */
  restartToRecover?: boolean;
  dataDir: string;
  /** Decisions in the log (this run's and the recovered ones). */
  logRecords: number;
  checkpoints: number;
  /** The last complete checkpoint: its id, when, and the transactions and decisions it covers. */
  lastCheckpoint?: { id: number; atMs: number; transactions: number; logRecords: number; ended: boolean; snapshotBytes: number; tookMs: number };
  /** The served-feature and label logs beside the decision log (see served-logs.ts). */
  served?: ServedLogsStats;
  /** What start-up recovered from (absent on a fresh data dir). */
  recovered?: { checkpoint: number; transactions: number; logRecords: number; droppedDecisions: number; tornTail?: string };
}

/** What a source must offer the durable mode. */
export interface DurableSource extends ResumableSource {
  stop(): void;
  stats(): { state: string };
}

/** The source a checkpoint belongs to, as the system configures it. */
export type DurableSourceKind = { kind: 'generator' } | { kind: 'replay'; path: string };

/**
 * The durable mode of a system: every decision appended to the decision log in the data dir, aligned checkpoints
 * (scorer snapshot at an engine barrier + the source position covering exactly the records before it + the log
 * position covering exactly their decisions), recovery from the newest checkpoint at start, and a clean stop of the
 * source when the data dir fails (a full disk), which loses nothing: the last checkpoint and the input still hold
 * every transaction not durably decided.
 *
 * Use: `prepare` (opens the log, recovers the scorer and returns the source's resume point) -> create the source with
 * it -> `attach` (wires the log to the engine and starts the checkpoint timer) -> `close`.
 */
export class Durability {
  readonly dataDir: string;
  private readonly dir: string;
  private readonly intervalMs: number;
  private readonly log: DecisionLog;
  private readonly hasher: CardRefHasher;
  private readonly secret: Buffer;
  /** The engine's workers hash card references with this log's secret: their staged columns can be copied. */
  private useStaged = false;
  private engine: Engine | undefined;
  private source: DurableSource | undefined;
  private naming: BatchNaming | undefined;
  private nextId: number;
  private count: number;
  private last: DurabilityStats['lastCheckpoint'];
  private recovered: DurabilityStats['recovered'];
  private failure: string | undefined;
  private spaceBack = false;
  private decidedSeq = 0;
  /** The barrier sequence number of the last checkpoint this run took (-1: none yet). */
  private lastSeq = -1;
  private waiting: { seq: number; resolve: (at: { position: number; records: number }) => void } | undefined;
  private running: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private closed = false;
  private readonly sourceKind: DurableSourceKind;
  private modelVersion = '';
  /** The checkpoint record start-up recovered from, if any. */
  recoveredFrom: string | undefined;
  /** Called once after a failure when the data dir has space again. */
  onSpaceBack: (() => void) | undefined;
  /**
   * Awaited by each checkpoint after the log is synced and before its record is written, once every batch before the
   * barrier has reached the engine's listeners: the case writer's `sync()`, so that every alert before a checkpoint
   * has its case durably (the ones after it are decided again after a crash, and open nothing twice).
   */
  barrierSync: (() => Promise<void>) | undefined;

  private constructor(config: DurabilityConfig, sourceKind: DurableSourceKind) {
    this.dataDir = resolve(config.dataDir);
    this.dir = checkpointsDir(this.dataDir);
    const interval = config.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    if (typeof interval !== 'number' || !(interval >= 50) || interval > 86_400_000) {
      throw new RangeError('config.durability.checkpointIntervalMs must be a number from 50 to 86,400,000');
    }
    this.intervalMs = interval;
    this.sourceKind = sourceKind;
    this.log = DecisionLog.open(decisionLogDir(this.dataDir));
    try {
      this.secret = config.cardRefSecret ?? loadOrCreateSecret(this.dataDir);
      this.hasher = new CardRefHasher(this.secret);
    } catch (err) {
      this.log.close();
      throw err;
    }
    mkdirSync(this.dir, { recursive: true });
    const ids = listCheckpoints(this.dir);
    this.count = ids.length;
    this.nextId = (ids[ids.length - 1] ?? 0) + 1;
  }

  /**
   * Opens the data dir and recovers from its newest checkpoint, if any: checks the record, restores the scorer from
   * its snapshot (before the first batch), cuts the decision log back to the checkpoint's position and returns the
   * source position to resume from (undefined: start from the beginning; the log is then emptied, since every
   * decision in it will be made again). Throws a `CheckpointError` naming the file when a checkpoint or snapshot is
   * corrupt or belongs to another source.
   */
  static prepare(config: DurabilityConfig, engine: Engine, sourceKind: DurableSourceKind, modelVersion: string): { durability: Durability; resume: SourceCheckpoint | undefined } {
    const d = new Durability(config, sourceKind);
    try {
      d.modelVersion = modelVersion;
      return { durability: d, resume: d.recover(engine) };
    } catch (err) {
      d.log.close();
      throw err;
    }
  }

  private recover(engine: Engine): SourceCheckpoint | undefined {
    const ids = listCheckpoints(this.dir);
    const tail = this.log.recovery;
    const tornTail = tail === undefined ? undefined : `${tail.file} at byte ${tail.offset}: ${tail.reason} (${tail.droppedBytes} bytes cut)`;
    const id = ids[ids.length - 1];
    if (id === undefined) {
      const dropped = this.log.records();
      this.log.truncateTo(0);
      if (dropped > 0 || tornTail !== undefined) {
        this.recovered = { checkpoint: 0, transactions: 0, logRecords: 0, droppedDecisions: dropped, ...(tornTail === undefined ? {} : { tornTail }) };
      }
      return undefined;
    }
    const record = readCheckpointRecord(this.dir, id);
    const recordFile = join(this.dir, recordName(id));
    const want = this.sourceKind;
    if (record.source.kind !== want.kind) {
      throw new CheckpointError(recordFile, `the checkpoint is of a ${record.source.kind} source, this start has a ${want.kind}: use another --data-dir`);
    }
    if (want.kind === 'replay' && resolve(record.source.path ?? '') !== resolve(want.path)) {
      throw new CheckpointError(recordFile, `the checkpoint is of a replay of ${record.source.path}, not ${resolve(want.path)}: use another --data-dir`);
    }
    if (this.log.position() < record.log.position) {
      throw new CheckpointError(
        recordFile,
        `the decision log in ${decisionLogDir(this.dataDir)} ends at byte ${this.log.position()}, before the checkpoint's durable position ${record.log.position}: durable data was lost`,
      );
    }
    const snapFile = join(this.dir, record.snapshot);
    let extra: Uint8Array;
    try {
      const restored = engine.scorer.restore(snapFile);
      extra = restored.meta.extra;
      if (restored.meta.modelVersion !== this.modelVersion) {
        process.emitWarning(`fraudstream: checkpoint ${id} was taken with model ${restored.meta.modelVersion}; continuing with ${this.modelVersion}`);
      }
      // The restored thresholds are in force in the scorer; the engine reports them.
      engine.options.thresholds = { ...restored.thresholds };
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new CheckpointError(snapFile, message.includes(snapFile) ? message.replace(`${snapFile}: `, '') : message);
    }
    const position = decodeSourceCheckpoint(extra, snapFile).position;
    const labels = readCheckedFile(this.dir, record.labels, 'pending labels');
    const state = record.sourceState === undefined ? undefined : readCheckedFile(this.dir, record.sourceState, 'source state');
    const source: SourceCheckpoint = { position, labels, ...(state === undefined ? {} : { state }) };
    this.recoveredFrom = recordFile;
    const dropped = this.log.records() - record.log.records;
    try {
      this.log.truncateTo(record.log.position);
    } catch (err) {
      throw new CheckpointError(recordFile, `log.position ${record.log.position} is not a position of ${decisionLogDir(this.dataDir)} (${err instanceof Error ? err.message : String(err)})`);
    }
    if (this.log.records() !== record.log.records) {
      throw new CheckpointError(recordFile, `log.records is ${record.log.records} but the log holds ${this.log.records()} decisions up to its position`);
    }
    this.recovered = {
      checkpoint: id,
      transactions: source.position.transactions,
      logRecords: record.log.records,
      droppedDecisions: dropped,
      ...(tornTail === undefined ? {} : { tornTail }),
    };
    this.last = {
      id,
      atMs: Date.parse(record.createdAt),
      transactions: record.source.transactions,
      logRecords: record.log.records,
      ended: record.ended,
      snapshotBytes: record.snapshotBytes,
      tookMs: 0,
    };
    return source;
  }

  /** Wires the log to the engine's decided batches and starts the flush, sync and checkpoint timers. */
  attach(engine: Engine, source: DurableSource): void {
    this.engine = engine;
    this.source = source;
    this.naming = { ruleNames, featureNames, modelVersion: this.modelVersion, generation: (g) => engine.generationInfo(g) };
    this.useStaged = engine.options.stageDecisionColumns && engine.options.cardRefSecret.equals(this.secret);
    engine.onBatch(this.onBatch);
    const every = (ms: number, f: () => void): void => {
      const t = setInterval(f, ms);
      t.unref();
      this.timers.push(t);
    };
    every(FLUSH_MS, () => this.guard('decision log', () => this.log.flush()));
    every(SYNC_MS, () => {
      if (this.failure === undefined && !this.closed) this.log.sync().catch((err: unknown) => this.fail('decision log', err));
    });
    every(this.intervalMs, () => void this.checkpoint());
  }

  /** Sets the model version stored with decisions from now on (after a model reload). */
  setModelVersion(version: string): void {
    this.modelVersion = version;
    if (this.naming !== undefined) this.naming = { ...this.naming, modelVersion: version };
  }

  private readonly onBatch = (b: DecidedBatch): void => {
    if (this.failure === undefined && this.naming !== undefined) {
      const engine = this.engine as Engine;
      this.guard('decision log', () =>
        // b.staged: the columns the batch's worker laid out (engine option stageDecisionColumns), copied in runs.
        appendDecidedBatch(this.log, this.hasher, b.records, b.results, b.slot, b.count, this.naming as BatchNaming, (slot) => engine.stringId(slot), undefined, this.useStaged ? b.staged : undefined),
      );
    }
    this.decidedSeq = b.seq + b.count;
    this.reached();
  };

  /** Resolves the pending barrier once every batch before it has been appended: the log's position right there. */
  private reached(): void {
    const w = this.waiting;
    if (w === undefined || this.decidedSeq < w.seq) return;
    this.waiting = undefined;
    let at = { position: -1, records: -1 };
    this.guard('decision log', () => {
      at = { position: this.log.flush(), records: this.log.records() };
    });
    w.resolve(at);
  }

  /** Runs `f`; a throw (ENOSPC, EIO) is a durability failure. */
  private guard(what: string, f: () => void): void {
    try {
      f();
    } catch (err) {
      this.fail(what, err);
    }
  }

  /**
   * A write to the data dir failed: stop the source (the engine decides what is already in the ring), keep serving
   * stats that say why, stop logging and checkpointing (what is not durable is after the last checkpoint and is made
   * again from the input on the next start), and watch for free space.
   */
  private fail(what: string, err: unknown): void {
    if (this.failure !== undefined) return;
    const message = err instanceof Error ? err.message : String(err);
    this.failure = `${what} in ${this.dataDir}: ${message}`;
    this.source?.stop();
    console.error(
      `fraudstream: durability failed (${this.failure}); the source is stopped and nothing after checkpoint ${this.last?.id ?? 0} is lost: fix the cause (free space), then restart to recover`,
    );
    const probe = setInterval(() => {
      let free = 0;
      try {
        const s = statfsSync(this.dataDir);
        free = s.bavail * s.bsize;
      } catch {
        return;
      }
      if (free >= Math.max(MIN_FREE_BYTES, 2 * (this.last?.snapshotBytes ?? 0))) {
        clearInterval(probe);
        this.spaceBack = true;
        console.error(`fraudstream: ${this.dataDir} has space again (${Math.round(free / 1048576)} MiB free): stopping so a restart recovers from checkpoint ${this.last?.id ?? 0}`);
        this.onSpaceBack?.();
      }
    }, PROBE_MS);
    probe.unref();
    this.timers.push(probe);
  }

  /** The durability stats. */
  stats(): DurabilityStats {
    return {
      ok: this.failure === undefined,
      ...(this.failure === undefined ? {} : { reason: this.failure, restartToRecover: this.spaceBack }),
      dataDir: this.dataDir,
      logRecords: this.log.records(),
      checkpoints: this.count,
      ...(this.last === undefined ? {} : { lastCheckpoint: this.last }),
      ...(this.recovered === undefined ? {} : { recovered: this.recovered }),
    };
  }

  /** Decisions in the log now (pending ones included): the served-feature log tags its batches with it. */
  logRecords(): number {
    return this.log.records();
  }

  /** True once a write to the data dir failed. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * Takes an aligned checkpoint now (one at a time: a call while one runs waits for it); resolves when its record
   * is durable, or at once after a failure. Call between source writes (a timer or an event, never inside one).
   */
  checkpoint(): Promise<void> {
    if (this.running !== undefined) return this.running;
    if (this.failure !== undefined || this.closed || this.engine === undefined) return Promise.resolve();
    this.running = this.take().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async take(): Promise<void> {
    const engine = this.engine as Engine;
    const source = this.source as DurableSource;
    const c = engine.stats();
    // Nothing new since the last checkpoint (a replay at its end, a stopped source): no need for another.
    if (source.stats().state !== 'running' && c.counts.inFlight === 0 && c.queue.depth === 0 && this.decidedSeq === this.lastSeq && this.last !== undefined) return;
    const started = performance.now();
    const id = this.nextId++;
    const snapFile = join(this.dir, snapshotName(id));
    const thresholds = engine.options.thresholds;
    let extra: Uint8Array | undefined;
    let early: number | undefined;
    let snapshot!: Promise<SnapshotInfo>;
    const snap = (ticket: number): void => {
      const meta = { modelVersion: this.modelVersion, thresholdsVersion: `${thresholds.review}/${thresholds.decline}`, extra: extra as Uint8Array };
      snapshot = engine.scorer.snapshot(snapFile, meta, ticket);
      // Awaited below; a rejection before then must not count as unhandled.
      snapshot.catch(() => undefined);
    };
    let seq: number;
    let abandoned = false;
    try {
      // The barrier and the source position are taken in the same synchronous step, between two source writes.
      seq = engine.barrier((ticket) => {
        // A barrier's ticket must always be consumed, or every later batch would wait at the scorer's gate.
        if (abandoned) engine.scorer.skipTicket(ticket);
        else if (extra === undefined) early = ticket;
        else snap(ticket);
      });
      const position = source.checkpoint(seq);
      // The position goes with the state in the snapshot; the pending labels (megabytes at high rates) beside it.
      extra = encodeSourceCheckpoint({ position: position.position, labels: new Uint8Array(0) });
      if (early !== undefined) snap(early);
      const labels = { file: labelsName(id), bytes: position.labels.byteLength, sha256: createHash('sha256').update(position.labels).digest('hex') };
      const labelsWritten = writeFileAtomic(this.dir, labels.file, position.labels);
      labelsWritten.catch(() => undefined);
      const state = position.state;
      const sourceState = state === undefined ? undefined : { file: sourceStateName(id), bytes: state.byteLength, sha256: createHash('sha256').update(state).digest('hex') };
      const stateWritten = sourceState === undefined || state === undefined ? Promise.resolve() : writeFileAtomic(this.dir, sourceState.file, state);
      stateWritten.catch(() => undefined);
      const at = await new Promise<{ position: number; records: number }>((resolveAt) => {
        this.waiting = { seq, resolve: resolveAt };
        this.reached();
      });
      const info = await waitFor(() => snapshot);
      await labelsWritten;
      await stateWritten;
      if (this.failure !== undefined) return;
      const durable = await this.log.sync();
      if (durable < at.position) throw new Error(`the log synced to ${durable}, short of ${at.position}`);
      if (this.barrierSync !== undefined) await this.barrierSync();
      if (this.failure !== undefined) return;
      const p = position.position;
      const ended = source.stats().state === 'ended' && engine.stats().counts.inFlight === 0;
      const record: CheckpointRecord = {
        format: CHECKPOINT_FORMAT,
        id,
        createdAt: new Date().toISOString(),
        snapshot: snapshotName(id),
        snapshotBytes: info.bytes,
        labels,
        ...(sourceState === undefined ? {} : { sourceState }),
        source:
          p.kind === 'replay'
            ? { kind: 'replay', path: this.sourcePath(), transactions: p.transactions, offset: p.offset, line: p.line }
            : { kind: 'generator', transactions: p.transactions, day: p.day, index: p.index },
        ended,
        log: at,
        modelVersion: this.modelVersion,
      };
      if (this.failure !== undefined) return;
      writeCheckpointRecord(this.dir, record);
      this.count = Math.min(this.count + 1, CHECKPOINTS_KEPT);
      this.lastSeq = seq;
      this.last = { id, atMs: Date.now(), transactions: p.transactions, logRecords: at.records, ended, snapshotBytes: info.bytes, tookMs: Math.round(performance.now() - started) };
      pruneCheckpoints(this.dir, CHECKPOINTS_KEPT);
    } catch (err) {
      this.waiting = undefined;
      if (extra === undefined) {
        abandoned = true;
        if (early !== undefined) engine.scorer.skipTicket(early);
      }
      this.fail(`checkpoint ${id}`, err);
    }
  }

  private sourcePath(): string {
    return this.sourceKind.kind === 'replay' ? resolve(this.sourceKind.path) : '';
  }

  /**
   * The graceful end: a final checkpoint (the caller has stopped the source and drained the engine), then the log
   * is synced and closed. After a failure only the log's file handles are released.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.failure === undefined) {
      // A checkpoint already running may have its barrier before the drain's last records: wait for it, then take
      // one that covers everything (skipped when it would hold nothing new).
      await this.checkpoint();
      await this.checkpoint();
    }
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    try {
      this.log.close();
    } catch (err) {
      if (this.failure === undefined) console.error(`fraudstream: closing the decision log failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The snapshot promise is set by the barrier's callback, which may run on a later turn of the event loop. */
async function waitFor<T>(get: () => Promise<T> | undefined): Promise<T> {
  for (;;) {
    const p = get();
    if (p !== undefined) return p;
    await new Promise((r) => setImmediate(r));
  }
}

/** A checkpoint's side file (pending labels, source state), checked against the size and SHA-256 in its record. */
function readCheckedFile(dir: string, entry: { file: string; bytes: number; sha256: string }, what: string): Buffer {
  const file = join(dir, entry.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new CheckpointError(file, `cannot read the checkpoint's ${what} (${err instanceof Error ? err.message : String(err)})`);
  }
  if (bytes.length !== entry.bytes || createHash('sha256').update(bytes).digest('hex') !== entry.sha256) {
    throw new CheckpointError(file, `the ${what} do${what.endsWith('s') ? '' : 'es'} not match the checkpoint record (size or SHA-256 differs): the file is corrupt`);
  }
  return bytes;
}
