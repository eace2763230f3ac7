import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { extractFeatures, featureNames, featureSet } from '@fraudstream/scorer';
import { readCsvRecords } from '@fraudstream/sources';

const DAY_MS = 86_400_000;

/** Options of {@link exportFeatures}. */
export interface ExportOptions {
  /** Labelled transactions, CSV interchange format. */
  data: string;
  /** Directory written: features.csv and meta.json. */
  out: string;
  /** Label delay the terminal-risk features assume (the scorer's option). */
  labelDelayDays: number;
  /** First day exported (epoch ms, UTC midnight); default: the first transaction's day. */
  fromMs?: number;
  /** Days exported; default: to the end of the file. */
  days?: number;
  /** `csv` (default): features.csv; `parquet`: features.parquet (DuckDB's writer, zstd). */
  format?: 'csv' | 'parquet';
}

/** What {@link exportFeatures} wrote. */
export interface ExportResult {
  rows: number;
  frauds: number;
  /** The features file written: features.csv or features.parquet. */
  featuresFile: string;
  metaJson: string;
}

/** The header of features.csv: id, day, time, the scorer's features in vector order, the label and scenario. */
export const exportColumns = (): string[] => ['transaction_id', 'day', 'timestamp_ms', ...featureNames, 'label', 'scenario'];

/**
 * Writes the scorer's own feature rows of a labelled CSV, computed by the Rust feature code replaying the file in
 * event time with labels revealed `labelDelayDays` after their transaction (as `train` and `backtest` do), so a
 * model trained on them elsewhere (XGBoost, LightGBM) sees exactly the serving features. `day` counts UTC days from
 * the first transaction's day (the handbook's TX_TIME_DAYS); a missing feature is an empty cell.
 */
export async function exportFeatures(o: ExportOptions): Promise<ExportResult> {
  const data = await readCsvRecords(o.data, { labelDelayDays: o.labelDelayDays });
  if (data.txCount === 0) throw new Error(`${o.data}: no valid transactions`);
  const width = featureNames.length;
  const features = new Float32Array(data.txCount * width);
  const rows = extractFeatures({ labelDelayDays: o.labelDelayDays }, data.views.bytes(0, data.count), data.count, features);
  if (rows !== data.txCount) throw new Error(`feature rows ${rows} != transactions ${data.txCount}`);
  const firstDay = Math.floor((data.txTimestampsMs[0] ?? 0) / DAY_MS);
  const fromMs = o.fromMs ?? firstDay * DAY_MS;
  const toMs = o.days === undefined ? Number.POSITIVE_INFINITY : fromMs + o.days * DAY_MS;
  await mkdir(o.out, { recursive: true });
  const parquet = o.format === 'parquet';
  // Parquet is written by DuckDB from a typed read of the same CSV text, so both formats hold the same values.
  const featuresCsv = join(o.out, parquet ? '.features.csv.tmp' : 'features.csv');
  const w = createWriteStream(featuresCsv);
  w.write(`${exportColumns().join(',')}\n`);
  let written = 0;
  let frauds = 0;
  for (let i = 0; i < rows; i++) {
    const ts = data.txTimestampsMs[i] ?? 0;
    if (ts < fromMs || ts >= toMs) continue;
    const txNum = data.views.txNum(data.txSlots[i] ?? 0);
    const id = data.stringIds.get(i) ?? String(txNum);
    const cells: string[] = [csvCell(id), String(Math.floor(ts / DAY_MS) - firstDay), String(ts)];
    for (let f = 0; f < width; f++) {
      const v = features[i * width + f]!;
      // String(f32 value) is the shortest decimal that reads back to the same float32.
      cells.push(Number.isNaN(v) ? '' : String(v));
    }
    const label = data.fraud[i] ?? 0;
    cells.push(String(label), String(data.scenario[i] ?? 0));
    if (!w.write(`${cells.join(',')}\n`)) await once(w, 'drain');
    written++;
    frauds += label;
  }
  w.end();
  await once(w, 'finish');
  let featuresFile = featuresCsv;
  if (parquet) {
    featuresFile = join(o.out, 'features.parquet');
    try {
      await csvToParquet(featuresCsv, featuresFile);
    } finally {
      await rm(featuresCsv, { force: true });
    }
  }
  const metaJson = join(o.out, 'meta.json');
  const meta = {
    format: 'fraudstream-features/1',
    file: parquet ? 'features.parquet' : 'features.csv',
    featureSet,
    features: featureNames,
    columns: exportColumns(),
    rows: written,
    frauds,
    labelled: data.labelled,
    labelDelayDays: o.labelDelayDays,
    source: o.data,
    fromMs,
    toMs: Number.isFinite(toMs) ? toMs : null,
  };
  await writeFile(metaJson, `${JSON.stringify(meta, null, 2)}\n`);
  return { rows: written, frauds, featuresFile, metaJson };
}

/** Column types of the export: the id as text, day and time as integers, features as FLOAT (float32), label and scenario. */
function columnTypes(): Record<string, string> {
  const types: Record<string, string> = { transaction_id: 'VARCHAR', day: 'INTEGER', timestamp_ms: 'BIGINT' };
  for (const f of featureNames) types[f] = 'FLOAT';
  types.label = 'TINYINT';
  types.scenario = 'TINYINT';
  return types;
}

/** Rewrites the export's CSV as Parquet with DuckDB (typed columns, an empty cell is NULL, zstd compression). */
async function csvToParquet(csv: string, parquet: string): Promise<void> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const quote = (s: string): string => `'${s.replaceAll("'", "''")}'`;
    const columns = Object.entries(columnTypes())
      .map(([k, v]) => `${quote(k)}: ${quote(v)}`)
      .join(', ');
    await conn.run(
      `COPY (SELECT * FROM read_csv(${quote(csv)}, header = true, columns = {${columns}})) TO ${quote(parquet)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A CSV cell: quoted when it holds a comma, quote or line break. */
function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
