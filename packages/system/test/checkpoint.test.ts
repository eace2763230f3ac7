import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, CheckpointError, labelsName, listCheckpoints, pruneCheckpoints, readCheckpointRecord, recordName, snapshotName, writeCheckpointRecord, type CheckpointRecord } from '../src/checkpoint.js';

const record = (id: number): CheckpointRecord => ({
  format: CHECKPOINT_FORMAT,
  id,
  createdAt: new Date(0).toISOString(),
  snapshot: snapshotName(id),
  snapshotBytes: 10,
  labels: { file: labelsName(id), bytes: 4, sha256: 'a'.repeat(64) },
  source: { kind: 'replay', path: '/x.csv', transactions: 5, offset: 100, line: 6 },
  ended: false,
  log: { position: 64, records: 5 },
  modelVersion: 'm',
});

/** A checkpoint as Durability leaves it: snapshot and labels files, then the record. */
function complete(dir: string, id: number): void {
  writeFileSync(join(dir, snapshotName(id)), 'snap');
  writeFileSync(join(dir, labelsName(id)), 'labl');
  writeCheckpointRecord(dir, record(id));
}

describe('checkpoint files', () => {
  it('a record round-trips; only ids with a record are complete; pruning keeps the newest and their files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-ckpt-'));
    for (const id of [1, 2, 3]) complete(dir, id);
    // An unfinished checkpoint 4: snapshot written, record not yet (a crash in between).
    writeFileSync(join(dir, snapshotName(4)), 'snap');
    // Temporary files of a crashed checkpoint 1 (the scorer's and ours).
    writeFileSync(join(dir, `${snapshotName(1)}.tmp-4242`), 'part');
    writeFileSync(join(dir, `${labelsName(1)}.tmp`), 'part');
    expect(listCheckpoints(dir)).toEqual([1, 2, 3]);
    expect(readCheckpointRecord(dir, 3)).toEqual(record(3));
    pruneCheckpoints(dir, 2);
    expect(listCheckpoints(dir)).toEqual([2, 3]);
    const files = readdirSync(dir).sort();
    expect(files).toEqual([labelsName(2), labelsName(3), recordName(2), recordName(3), snapshotName(2), snapshotName(3), snapshotName(4)].sort());
    expect(existsSync(join(dir, `${recordName(3)}.tmp`))).toBe(false);
  });

  it('a bad record is a CheckpointError naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-ckpt-'));
    complete(dir, 7);
    const file = join(dir, recordName(7));
    const bad = (patch: Record<string, unknown>, field: RegExp): void => {
      writeFileSync(file, JSON.stringify({ ...record(7), ...patch }));
      let err: unknown;
      try {
        readCheckpointRecord(dir, 7);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(CheckpointError);
      expect((err as CheckpointError).file).toBe(file);
      expect((err as Error).message).toMatch(field);
    };
    bad({ format: 'other' }, /format must be/);
    bad({ id: 8 }, /id must be 7/);
    bad({ log: { position: -1, records: 5 } }, /log\.position must be an integer >= 0/);
    bad({ labels: { file: 'x', bytes: 1, sha256: 'a'.repeat(64) } }, /labels\.file/);
    bad({ source: { kind: 'kafka' } }, /source\.kind/);
    bad({ snapshot: snapshotName(9) }, /snapshot .*snap-00000000000000000009\.bin is missing/);
    writeFileSync(file, '{"format":');
    expect(() => readCheckpointRecord(dir, 7)).toThrow(/not a readable checkpoint record/);
  });
});
