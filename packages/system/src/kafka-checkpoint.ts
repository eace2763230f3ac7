import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Engine } from '@fraudstream/engine';
import { CheckpointError, writeFileAtomic } from './checkpoint.js';

/** One partition's applied offset (every message below it is in the checkpoint's scorer state). */
export interface AppliedOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** The record of a Kafka checkpoint (`kafka-checkpoint-N.json`, written last: a checkpoint without it does not exist). */
interface KafkaCheckpointRecord {
  format: 'fraudstream-kafka-checkpoint-1';
  id: number;
  createdAt: string;
  group: string;
  topic: string;
  snapshot: string;
  applied: AppliedOffset[];
  /** The files of the checkpoint's parts (see {@link CheckpointPart}), by part name. */
  parts?: Record<string, string>;
}

/**
 * State another component saves with each checkpoint, consistent with the scorer snapshot (the global terminal
 * table's counts): a file of its own beside the snapshot, `kafka-NAME-0000000N.json`, listed in the record.
 */
export interface CheckpointPart {
  /** Lowercase letters and dashes: the file's name and its key in the record. */
  name: string;
  /** In the synchronous step of the barrier (after `onBarrier`), with its sequence number. */
  atBarrier(seq: number): void;
  /** Once the snapshot is written or has failed (always after `atBarrier`). */
  afterSnapshot(): void;
  /** The bytes to save, called once every decision before the barrier is acknowledged. */
  save(): Uint8Array;
  /** Loads the bytes `save` wrote, on restore before the first batch; throws saying what is wrong with them. */
  load(bytes: Buffer): void;
}

/** Steps another component takes inside a checkpoint (the exactly-once output's transaction commit). */
export interface CheckpointHooks {
  /** Right after the barrier (same synchronous step), with its sequence number and the applied offsets at it. */
  onBarrier?: (seq: number, applied: AppliedOffset[]) => void;
  /** After the snapshot is written and the decisions before the barrier are acknowledged; a rejection fails the checkpoint. */
  beforeRecord?: (seq: number) => Promise<void>;
}

/** The Kafka checkpoint part of the stats. */
export interface KafkaCheckpointStats {
  dir: string;
  /** Checkpoints completed by this run. */
  taken: number;
  /** Ring sequence below which the last complete checkpoint covers every record (0: none yet this run). */
  durableSeq: number;
  /** The checkpoint start-up restored (absent on a fresh dir). */
  restored?: { id: number; messages: number };
  lastError?: string;
}

const FORMAT = 'fraudstream-kafka-checkpoint-1';
const KEPT = 2;
const recordName = (id: number): string => `kafka-checkpoint-${String(id).padStart(8, '0')}.json`;
const snapshotName = (id: number): string => `kafka-snapshot-${String(id).padStart(8, '0')}.bin`;
const partName = (name: string, id: number): string => `kafka-${name}-${String(id).padStart(8, '0')}.json`;

/**
 * Checkpoints of a Kafka-fed instance in a directory of its own: the scorer's state at an engine barrier plus, per
 * partition, the offset below which every message was written before that barrier (`applied`). A checkpoint is
 * complete (its record written) only once the decisions of every record before the barrier are acknowledged by the
 * broker, so `durableSeq()` (the commit seam of `createKafkaSystem`) never lets an offset be committed that a
 * restart could not rebuild. On start, `restore()` loads the newest complete checkpoint into the scorer (before the
 * first batch) and returns its applied offsets: the new source skips what the group redelivers below them (state
 * already holds it, decisions were acknowledged) and decides the rest.
 */
export class KafkaCheckpoints {
  readonly dir: string;
  private nextId = 1;
  private taken = 0;
  private seq = 0;
  private running: Promise<void> | undefined;
  private restored: { id: number; messages: number } | undefined;
  private lastError: string | undefined;

  constructor(
    dir: string,
    private readonly engine: Engine,
    private readonly group: string,
    private readonly topic: string,
    private readonly modelVersion: string,
    /** Saved and restored with every checkpoint; a checkpoint without one of them cannot be restored. */
    private readonly parts: CheckpointPart[] = [],
  ) {
    for (const p of parts) if (!/^[a-z][a-z-]*$/.test(p.name)) throw new TypeError(`checkpoint part name '${p.name}' must be lowercase letters and dashes`);
    this.dir = resolve(dir);
    mkdirSync(this.dir, { recursive: true });
    const ids = this.ids();
    this.nextId = (ids[ids.length - 1] ?? 0) + 1;
  }

  private ids(): number[] {
    return readdirSync(this.dir)
      .map((f) => /^kafka-checkpoint-(\d{8})\.json$/.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  /**
   * Restores the newest complete checkpoint into the scorer (call before the first batch) and returns its applied
   * offsets; undefined on a fresh dir. Throws a `CheckpointError` naming the file when it is corrupt or belongs to
   * another group or topic.
   */
  restore(): AppliedOffset[] | undefined {
    const id = this.ids().pop();
    if (id === undefined) return undefined;
    const file = join(this.dir, recordName(id));
    let record: KafkaCheckpointRecord;
    try {
      record = JSON.parse(readFileSync(file, 'utf8')) as KafkaCheckpointRecord;
    } catch (err) {
      throw new CheckpointError(file, `not a readable Kafka checkpoint record (${err instanceof Error ? err.message : String(err)})`);
    }
    if (record.format !== FORMAT || !Array.isArray(record.applied) || typeof record.snapshot !== 'string') {
      throw new CheckpointError(file, `not a ${FORMAT} record`);
    }
    if (record.group !== this.group || record.topic !== this.topic) {
      throw new CheckpointError(file, `the checkpoint is of group ${record.group}, topic ${record.topic}; this instance reads ${this.topic} in ${this.group}: use another --data-dir`);
    }
    for (const [i, a] of record.applied.entries()) {
      if (typeof a.topic !== 'string' || !Number.isInteger(a.partition) || !Number.isSafeInteger(a.offset) || a.offset < 0) {
        throw new CheckpointError(file, `applied[${i}] must be {topic, partition, offset}`);
      }
    }
    const snap = join(this.dir, record.snapshot);
    try {
      this.engine.scorer.restore(snap);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new CheckpointError(snap, message.includes(snap) ? message.replace(`${snap}: `, '') : message);
    }
    for (const part of this.parts) {
      const name = record.parts?.[part.name];
      if (typeof name !== 'string' || name !== partName(part.name, id)) {
        // A checkpoint of a run without this part: its scorer state does not match what the part would start from.
        throw new CheckpointError(file, `lists no ${part.name} file (${partName(part.name, id)}): it was taken without it; use another --data-dir`);
      }
      const partFile = join(this.dir, name);
      let bytes: Buffer;
      try {
        bytes = readFileSync(partFile);
      } catch (err) {
        throw new CheckpointError(partFile, `cannot be read (${err instanceof Error ? err.message : String(err)})`);
      }
      try {
        part.load(bytes);
      } catch (err) {
        throw new CheckpointError(partFile, err instanceof Error ? err.message : String(err));
      }
    }
    this.restored = { id, messages: record.applied.reduce((n, a) => n + a.offset, 0) };
    return record.applied;
  }

  /** Ring sequence below which the last complete checkpoint of this run covers every record (the commit seam). */
  durableSeq(): number {
    return this.seq;
  }

  /**
   * Takes a checkpoint: a barrier now with the source's applied offsets at that moment (`applied`, called in the
   * same synchronous step), the snapshot, then waits until `ackedSeq()` reaches the barrier (bounded by `waitMs`)
   * and writes the record. One at a time; call between source writes (a timer).
   */
  take(applied: () => AppliedOffset[], ackedSeq: () => number, waitMs = 30_000, hooks: CheckpointHooks = {}): Promise<void> {
    this.running ??= this.takeNow(applied, ackedSeq, waitMs, hooks).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async takeNow(applied: () => AppliedOffset[], ackedSeq: () => number, waitMs: number, hooks: CheckpointHooks): Promise<void> {
    const id = this.nextId++;
    const snapshot = snapshotName(id);
    const thresholds = this.engine.options.thresholds;
    const meta = { modelVersion: this.modelVersion, thresholdsVersion: `${thresholds.review}/${thresholds.decline}` };
    let written: Promise<unknown> | undefined;
    let offsets: AppliedOffset[] = [];
    try {
      const seq = this.engine.barrier((ticket) => {
        written = this.engine.scorer.snapshot(join(this.dir, snapshot), meta, ticket);
        written.catch(() => undefined);
      });
      offsets = applied();
      if (seq <= this.seq) {
        // Nothing new since the last checkpoint: the barrier's ticket still goes to a snapshot, which is dropped.
        await waitForSnapshot(() => written);
        rmSync(join(this.dir, snapshot), { force: true });
        return;
      }
      hooks.onBarrier?.(seq, offsets);
      for (const part of this.parts) part.atBarrier(seq);
      try {
        await waitForSnapshot(() => written);
      } finally {
        for (const part of this.parts) part.afterSnapshot();
      }
      const deadline = Date.now() + waitMs;
      while (ackedSeq() < seq) {
        if (Date.now() > deadline) throw new Error(`the decisions before sequence ${seq} were not acknowledged within ${waitMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const parts: Record<string, string> = {};
      for (const part of this.parts) {
        parts[part.name] = partName(part.name, id);
        await writeFileAtomic(this.dir, parts[part.name]!, part.save());
      }
      // Exactly-once output: the transaction holding the decisions before the barrier commits with the offsets; the
      // checkpoint exists only once it has.
      await hooks.beforeRecord?.(seq);
      const record: KafkaCheckpointRecord = { format: FORMAT, id, createdAt: new Date().toISOString(), group: this.group, topic: this.topic, snapshot, applied: offsets, ...(this.parts.length === 0 ? {} : { parts }) };
      await writeFileAtomic(this.dir, recordName(id), Buffer.from(JSON.stringify(record)));
      this.seq = seq;
      this.taken++;
      this.prune();
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      rmSync(join(this.dir, snapshot), { force: true });
      for (const part of this.parts) rmSync(join(this.dir, partName(part.name, id)), { force: true });
    }
  }

  private prune(): void {
    const ids = this.ids();
    for (const id of ids.slice(0, Math.max(0, ids.length - KEPT))) {
      rmSync(join(this.dir, recordName(id)), { force: true });
      rmSync(join(this.dir, snapshotName(id)), { force: true });
      for (const part of this.parts) rmSync(join(this.dir, partName(part.name, id)), { force: true });
    }
  }

  /** Counters for the stats. */
  stats(): KafkaCheckpointStats {
    return {
      dir: this.dir,
      taken: this.taken,
      durableSeq: this.seq,
      ...(this.restored === undefined ? {} : { restored: this.restored }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }
}

/** The snapshot promise is set by the barrier's callback, which may run on a later turn of the event loop. */
async function waitForSnapshot(get: () => Promise<unknown> | undefined): Promise<void> {
  for (;;) {
    const p = get();
    if (p !== undefined) {
      await p;
      return;
    }
    await new Promise((r) => setImmediate(r));
  }
}
