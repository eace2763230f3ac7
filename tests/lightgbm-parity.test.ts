import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scorer, checkBundle, extractFeatures, featureNames, featureSet, predictFeatures } from '@fraudstream/scorer';
import { readCsvRecords } from '@fraudstream/sources';
import { cli } from './utils/cli.js';
import { python } from './utils/python.js';

const dir = mkdtempSync(join(tmpdir(), 'lgb-parity-'));
const data = join(dir, 'tx.csv');
const exported = join(dir, 'export');
const trained = join(dir, 'lgb');

function floats(path: string, kind: 'f32' | 'f64'): Float32Array | Float64Array {
  const b = readFileSync(path);
  const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  return kind === 'f32' ? new Float32Array(copy) : new Float64Array(copy);
}

function worstDiff(model: string, x: Float32Array, want: Float64Array, rows: number): number {
  const got = new Float32Array(rows);
  predictFeatures(model, x, rows, got);
  let worst = 0;
  for (let r = 0; r < rows; r++) worst = Math.max(worst, Math.abs(got[r]! - want[r]!));
  return worst;
}

describe('export-features and LightGBM interoperability (real LightGBM in Python on the scorer\'s features)', () => {
  it('export-features writes the serving features with labels and days', async () => {
    expect(cli(['generate', '--out', data, '--customers', '300', '--terminals', '600', '--days', '60', '--seed', '3']).status).toBe(0);
    const r = cli(['export-features', '--data', data, '--out', exported, '--label-delay-days', '7']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const meta = JSON.parse(readFileSync(join(exported, 'meta.json'), 'utf8')) as { rows: number; frauds: number; featureSet: string; features: string[] };
    expect(meta.featureSet).toBe(featureSet);
    expect(meta.features).toEqual(featureNames);
    expect(meta.frauds).toBeGreaterThan(10);
    const lines = readFileSync(join(exported, 'features.csv'), 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe(['transaction_id', 'day', 'timestamp_ms', ...featureNames, 'label', 'scenario'].join(','));
    expect(lines.length - 1).toBe(meta.rows);
    // The cells are exactly the scorer's feature values (float32), as the serving path computes them.
    const csv = await readCsvRecords(data, { labelDelayDays: 7 });
    const w = featureNames.length;
    const want = new Float32Array(csv.txCount * w);
    extractFeatures({ labelDelayDays: 7 }, csv.views.bytes(0, csv.count), csv.count, want);
    expect(meta.rows).toBe(csv.txCount);
    let mismatches = 0;
    for (let i = 0; i < csv.txCount; i += 97) {
      const cells = lines[i + 1]!.split(',');
      expect(Number(cells[1])).toBe(Math.floor(csv.txTimestampsMs[i]! / 86_400_000) - Math.floor(csv.txTimestampsMs[0]! / 86_400_000));
      expect(Number(cells[3 + w])).toBe(csv.fraud[i]);
      for (let f = 0; f < w; f++) {
        const cell = cells[3 + f]!;
        const v = want[i * w + f]!;
        if (cell === '' ? !Number.isNaN(v) : Math.fround(Number(cell)) !== v) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
    // Bad input is a usage error naming the flag.
    const bad = cli(['export-features', '--data', data]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--out/);
  }, 120_000);

  it('a LightGBM text model trained on them scores like LightGBM on every row (|difference| < 1e-5)', () => {
    python('lgb_parity.py', [exported, trained]);
    const meta = JSON.parse(readFileSync(join(trained, 'meta.json'), 'utf8')) as { rows: number; columns: string[]; lightgbm: string; frauds: number };
    expect(meta.lightgbm).toMatch(/^4\./);
    expect(meta.columns).toEqual(featureNames);
    const model = readFileSync(join(trained, 'model.txt'), 'utf8');
    const x = floats(join(trained, 'features.f32'), 'f32') as Float32Array;
    const want = floats(join(trained, 'predictions.f64'), 'f64') as Float64Array;
    expect(x.length).toBe(meta.rows * featureNames.length);
    // LightGBM's predictions must spread (a constant model would prove nothing).
    expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(0.5);
    expect(worstDiff(model, x, want, meta.rows)).toBeLessThan(1e-5);
    // It loads like an XGBoost model into a scorer and into a bundle.
    const scorer = Scorer.open();
    try {
      expect(scorer.loadModel(model).trees).toBe(60);
    } finally {
      scorer.close();
    }
    const bundle = JSON.stringify({ format: 'fraudstream-bundle/1', featureSet, model: { format: 'lightgbm-text', text: model } });
    expect(checkBundle(bundle).trees).toBe(60);
    // The comparison can fail: the same trees with another sigmoid coefficient are caught.
    const off = model.replace(/objective=binary sigmoid:1\b/, 'objective=binary sigmoid:1.001');
    expect(off).not.toBe(model);
    expect(worstDiff(off, x, want, meta.rows)).toBeGreaterThan(1e-5);
  }, 300_000);
});
