import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RESULT_SIZE } from '@fraudstream/schema';
import { Scorer } from '../src/index.js';
import { records, results, stream } from './helpers.js';

const model = readFileSync(resolve(import.meta.dirname, '../../../models/default.json'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'fs-snap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const opened = (): Scorer => {
  const s = Scorer.open({ thresholds: { review: 0.3, decline: 0.7 } });
  s.loadModel(model);
  return s;
};

describe('Scorer.snapshot / Scorer.restore', () => {
  const recs = stream(600);
  const first = records(recs.slice(0, 300));
  const second = records(recs.slice(300));

  it('a restored scorer decides the rest of the stream byte for byte like the one that went on', async () => {
    const a = opened();
    const b = Scorer.open();
    try {
      a.scoreBatch(first.u8, results(300).u8, 0, 300, 0);
      const extra = new TextEncoder().encode('{"row":300}');
      // Ticket 1 is the barrier: batch 2 below may be submitted before the snapshot resolves and still not be in it.
      const snap = a.snapshot(join(dir, 'a.snap'), { modelVersion: 'm1', thresholdsVersion: 't1', extra }, 1);
      const outA = results(300);
      a.scoreBatch(second.u8, outA.u8, 0, 300, 2);
      const info = await snap;
      expect(info.cards).toBe(7);
      expect(info.terminals).toBe(3);

      b.loadModel(model);
      const r = b.restore(join(dir, 'a.snap'));
      expect(r.meta.modelVersion).toBe('m1');
      expect(new TextDecoder().decode(r.meta.extra)).toBe('{"row":300}');
      expect(r.thresholds).toEqual({ review: 0.3, decline: 0.7 });
      expect(r.info.bytes).toBe(info.bytes);
      const outB = results(300);
      b.scoreBatch(second.u8, outB.u8, 0, 300, 0);
      expect(Buffer.from(outB.u8.subarray(0, 300 * RESULT_SIZE)).equals(Buffer.from(outA.u8.subarray(0, 300 * RESULT_SIZE)))).toBe(true);
      // A fresh scorer without the snapshot decides differently: the test can tell state from no state.
      const c = opened();
      const outC = results(300);
      c.scoreBatch(second.u8, outC.u8, 0, 300, 0);
      c.close();
      expect(Buffer.from(outC.u8).equals(Buffer.from(outA.u8))).toBe(false);
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses a corrupt, truncated or missing file with an error naming it, and leaves the scorer unchanged', async () => {
    const a = opened();
    const path = join(dir, 'b.snap');
    a.scoreBatch(first.u8, results(300).u8, 0, 300, 0);
    await a.snapshot(path, { modelVersion: 'm', thresholdsVersion: 't' });
    a.close();
    const bytes = readFileSync(path);
    const b = opened();
    try {
      const flipped = Buffer.from(bytes);
      flipped[flipped.length >> 1]! ^= 0x40;
      writeFileSync(join(dir, 'flipped.snap'), flipped);
      expect(() => b.restore(join(dir, 'flipped.snap'))).toThrow(/flipped\.snap/);
      writeFileSync(join(dir, 'short.snap'), bytes);
      truncateSync(join(dir, 'short.snap'), bytes.length - 9);
      expect(() => b.restore(join(dir, 'short.snap'))).toThrow(/short\.snap/);
      expect(() => b.restore(join(dir, 'missing.snap'))).toThrow(/missing\.snap/);
      expect(b.stateSize().cards).toBe(0);
      b.restore(path);
      expect(b.stateSize().cards).toBe(7);
    } finally {
      b.close();
    }
  });

  it('rejects a snapshot whose write fails, naming the path', async () => {
    const a = opened();
    try {
      await expect(a.snapshot(join(dir, 'no-such-dir', 'x.snap'), { modelVersion: 'm', thresholdsVersion: 't' })).rejects.toThrow(/no-such-dir/);
    } finally {
      a.close();
    }
  });
});
