import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { featureNames } from '@fraudstream/scorer';
import { cli } from './utils/cli.js';

// `export-features --format parquet` writes the same rows and values as the CSV export, read back with DuckDB.

const root = mkdtempSync(join(tmpdir(), 'fs-parquet-'));
const data = join(root, 'tx.csv');

beforeAll(() => {
  const g = cli(['generate', '--out', data, '--customers', '150', '--terminals', '300', '--days', '40', '--seed', '9']);
  expect(g.status, g.stderr).toBe(0);
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Rows of the Parquet file as strings the CSV export would write (float32 shortest form, NULL as empty). */
async function parquetRows(file: string): Promise<{ types: Record<string, string>; rows: string[][] }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    const types = Object.fromEntries(d.getRows().map((r) => [String(r[0]), String(r[1])]));
    const r = await conn.runAndReadAll(`SELECT * FROM read_parquet('${file}')`);
    const rows = r.getRows().map((row) => row.map((v, i) => (v === null ? '' : i >= 3 && i < 3 + featureNames.length ? String(Math.fround(Number(v))) : String(v))));
    return { types, rows };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

describe('export-features --format parquet', () => {
  it('holds the same rows and values as the CSV export, with typed columns', async () => {
    const csvDir = join(root, 'csv');
    const pqDir = join(root, 'pq');
    expect(cli(['export-features', '--data', data, '--out', csvDir]).status).toBe(0);
    const p = cli(['export-features', '--data', data, '--out', pqDir, '--format', 'parquet']);
    expect(p.status, p.stderr).toBe(0);
    expect(p.stdout).toContain('features.parquet');
    const csv = readFileSync(join(csvDir, 'features.csv'), 'utf8').trimEnd().split('\n');
    const header = csv[0]!.split(',');
    const { types, rows } = await parquetRows(join(pqDir, 'features.parquet'));
    expect(Object.keys(types)).toEqual(header);
    expect(types.transaction_id).toBe('VARCHAR');
    expect(types[featureNames[0]!]).toBe('FLOAT');
    expect(types.label).toBe('TINYINT');
    expect(rows.length).toBe(csv.length - 1);
    // Missing features (empty cells) exist in this data and come back as NULL.
    expect(csv.some((l) => l.includes(',,'))).toBe(true);
    const differing = rows.filter((r, i) => r.join(',') !== csv[i + 1]);
    expect(differing.slice(0, 3)).toEqual([]);
    expect(JSON.parse(readFileSync(join(pqDir, 'meta.json'), 'utf8')).file).toBe('features.parquet');
  }, 60_000);

  it('refuses an unknown format, naming the flag', () => {
    const r = cli(['export-features', '--data', data, '--out', join(root, 'x'), '--format', 'xlsx']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--format must be csv or parquet, got xlsx');
  });
});
