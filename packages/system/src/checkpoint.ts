import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Checkpoint files in `DATA_DIR/checkpoints/`:
 * - `snap-<20-digit id>.bin`   the scorer snapshot of the barrier (whole state, the source position in its `extra`)
 * - `labels-<20-digit id>.bin` the source's labels waiting for their delay at the barrier (`LabelQueue.toBytes`;
 *                              too large for the snapshot's `extra` at high rates), its SHA-256 in the record
 * - `source-<20-digit id>.bin` the source's own state beyond its position, when it has one (a generator's simulator
 *                              state, so a resume takes constant time), its SHA-256 in the record
 * - `ckpt-<20-digit id>.json`  the checkpoint record: written last, atomically, so its presence marks a complete
 *                              checkpoint; the highest id is the one recovery uses
 */
export const CHECKPOINTS_DIR = 'checkpoints';
/** The format tag of a checkpoint record. */
export const CHECKPOINT_FORMAT = 'fraudstream-checkpoint/1';

const RECORD_RE = /^ckpt-(\d{20})\.json$/;
const SNAP_RE = /^snap-(\d{20})\.bin$/;
/** Snapshot, labels and source-state files, and their temporary files (ours `.tmp`, the scorer's `.tmp-<pid>`) left by a crash. */
const DATA_RE = /^(?:snap|labels|source)-(\d{20})\.bin(?:\.tmp(?:-\d+)?)?$/;

/** A checkpoint or snapshot file that cannot be used; the message names the file. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(
    /** The file at fault. */
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
  }
}

/** What a checkpoint record holds (the source position itself is in the snapshot, checksummed with the state). */
export interface CheckpointRecord {
  format: typeof CHECKPOINT_FORMAT;
  id: number;
  createdAt: string;
  /** The snapshot file name, in the same directory, and its size. */
  snapshot: string;
  snapshotBytes: number;
  /** The pending-labels file, in the same directory, its size and SHA-256 (hex). */
  labels: { file: string; bytes: number; sha256: string };
  /** The source-state file (`SourceCheckpoint.state`), in the same directory, its size and SHA-256; absent without one. */
  sourceState?: { file: string; bytes: number; sha256: string };
  /** The source the checkpoint belongs to, and a readable copy of its position. */
  source: { kind: 'generator' | 'replay'; path?: string; transactions: number; offset?: number; line?: number; day?: number; index?: number };
  /** Whether the source had reached the end of its input at the barrier. */
  ended: boolean;
  /** The decision log's durable position and decision count covering exactly the decisions before the barrier. */
  log: { position: number; records: number };
  modelVersion: string;
}

/** The checkpoints directory of a data dir. */
export function checkpointsDir(dataDir: string): string {
  return join(dataDir, CHECKPOINTS_DIR);
}

/** The file name of checkpoint `id`'s record. */
export function recordName(id: number): string {
  return `ckpt-${String(id).padStart(20, '0')}.json`;
}

/** The file name of checkpoint `id`'s snapshot. */
export function snapshotName(id: number): string {
  return `snap-${String(id).padStart(20, '0')}.bin`;
}

/** The file name of checkpoint `id`'s source state. */
export function sourceStateName(id: number): string {
  return `source-${String(id).padStart(20, '0')}.bin`;
}

/** The file name of checkpoint `id`'s pending labels. */
export function labelsName(id: number): string {
  return `labels-${String(id).padStart(20, '0')}.bin`;
}

/** Ids of the complete checkpoints in `dir` (those with a record file), ascending. */
export function listCheckpoints(dir: string): number[] {
  if (!existsSync(dir)) return [];
  const ids: number[] = [];
  for (const name of readdirSync(dir)) {
    const m = RECORD_RE.exec(name);
    if (m !== null) ids.push(Number(m[1]));
  }
  return ids.sort((a, b) => a - b);
}

/**
 * Writes a checkpoint record atomically: a temporary file written and fsynced, renamed over the final name, then the
 * directory fsynced, so after a crash the record is either whole or absent.
 */
export function writeCheckpointRecord(dir: string, record: CheckpointRecord): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, recordName(record.id));
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(record, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncDir(dir);
  return file;
}

/** Reads and checks checkpoint `id`'s record; a missing field, a wrong type or a missing snapshot names the file. */
export function readCheckpointRecord(dir: string, id: number): CheckpointRecord {
  const file = join(dir, recordName(id));
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CheckpointError(file, `not a readable checkpoint record (${err instanceof Error ? err.message : String(err)})`);
  }
  const bad = (field: string, what: string): never => {
    throw new CheckpointError(file, `${field} must be ${what}`);
  };
  if (typeof value !== 'object' || value === null) return bad('the record', 'a JSON object');
  const r = value as Record<string, unknown>;
  if (r['format'] !== CHECKPOINT_FORMAT) bad('format', JSON.stringify(CHECKPOINT_FORMAT));
  if (r['id'] !== id) bad('id', `${id} (the file name's)`);
  if (typeof r['snapshot'] !== 'string' || !SNAP_RE.test(r['snapshot'])) bad('snapshot', 'a snap-<id>.bin file name');
  if (!Number.isSafeInteger(r['snapshotBytes'])) bad('snapshotBytes', 'an integer');
  const labels = r['labels'] as Record<string, unknown> | undefined;
  if (typeof labels !== 'object' || labels === null) return bad('labels', 'an object');
  if (typeof labels['file'] !== 'string' || !/^labels-\d{20}\.bin$/.test(labels['file'])) bad('labels.file', 'a labels-<id>.bin file name');
  if (!Number.isSafeInteger(labels['bytes'])) bad('labels.bytes', 'an integer');
  if (typeof labels['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(labels['sha256'])) bad('labels.sha256', '64 hex digits');
  const state = r['sourceState'] as Record<string, unknown> | undefined;
  if (state !== undefined) {
    if (typeof state !== 'object' || state === null) return bad('sourceState', 'an object');
    if (typeof state['file'] !== 'string' || !/^source-\d{20}\.bin$/.test(state['file'])) bad('sourceState.file', 'a source-<id>.bin file name');
    if (!Number.isSafeInteger(state['bytes'])) bad('sourceState.bytes', 'an integer');
    if (typeof state['sha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(state['sha256'])) bad('sourceState.sha256', '64 hex digits');
  }
  if (typeof r['ended'] !== 'boolean') bad('ended', 'a boolean');
  if (typeof r['modelVersion'] !== 'string') bad('modelVersion', 'a string');
  const log = r['log'] as Record<string, unknown> | undefined;
  if (typeof log !== 'object' || log === null) return bad('log', 'an object');
  if (!Number.isSafeInteger(log['position']) || (log['position'] as number) < 0) bad('log.position', 'an integer >= 0');
  if (!Number.isSafeInteger(log['records']) || (log['records'] as number) < 0) bad('log.records', 'an integer >= 0');
  const source = r['source'] as Record<string, unknown> | undefined;
  if (typeof source !== 'object' || source === null) return bad('source', 'an object');
  if (source['kind'] !== 'generator' && source['kind'] !== 'replay') bad('source.kind', "'generator' or 'replay'");
  if (source['kind'] === 'replay' && typeof source['path'] !== 'string') bad('source.path', 'a string');
  if (!existsSync(join(dir, r['snapshot'] as string))) {
    throw new CheckpointError(file, `its snapshot ${join(dir, r['snapshot'] as string)} is missing`);
  }
  return value as CheckpointRecord;
}

/**
 * Deletes all but the newest `keep` checkpoints (record first, so a checkpoint is never left complete without its
 * snapshot), and snapshots and temporary files older than the newest record that belong to no kept checkpoint.
 */
export function pruneCheckpoints(dir: string, keep: number): void {
  const ids = listCheckpoints(dir);
  const kept = new Set(ids.slice(-keep));
  const newest = ids[ids.length - 1] ?? -1;
  for (const id of ids) {
    if (kept.has(id)) continue;
    unlinkSync(join(dir, recordName(id)));
  }
  for (const name of readdirSync(dir)) {
    const m = DATA_RE.exec(name) ?? /^ckpt-(\d{20})\.json\.tmp$/.exec(name);
    if (m === null) continue;
    const id = Number(m[1]);
    if (!kept.has(id) && id < newest) unlinkSync(join(dir, name));
  }
}

/** Writes `bytes` to `dir/name` atomically off the main thread (temporary file, fdatasync, rename). */
export async function writeFileAtomic(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const file = join(dir, name);
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(bytes);
    await fh.datasync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
