import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { CSV_HEADER_LINE, CSV_HEADER_LINE_EXTENDED, formatDayRows } from './csv-format.js';
import { nonEmptyString, SourceOptionsRangeError } from './errors.js';
import type { SimulatorOptions } from './simulator/options.js';
import { Simulator } from './simulator/simulator.js';

/** Options of {@link generateCsv}: the simulator's (customers, terminals, days, start, seed, radius). */
export type GenerateCsvOptions = SimulatorOptions;

/** What {@link generateCsv} wrote. */
export interface GenerateCsvResult {
  /** Data rows (transactions) written. */
  rows: number;
  /** Rows with TX_FRAUD = 1. */
  frauds: number;
}

const ROWS_PER_CHUNK = 8192;

/**
 * Simulates `options.days` days and writes them to `outPath` in the CSV interchange format (the handbook's columns,
 * amounts with 2 decimals, then with `scenarios: 'all'` MCC, CHANNEL, CARD_PRESENT, COUNTRY, LAT, LON), streaming day by day with write-stream backpressure: memory stays at the simulator's 14-day lookahead buffer.
 * Deterministic: the same options give byte-identical files.
 */
export async function generateCsv(options: GenerateCsvOptions, outPath: string): Promise<GenerateCsvResult> {
  const sim = new Simulator(options);
  if (sim.options.days === Infinity) throw new SourceOptionsRangeError('options.days must be finite for a file');
  nonEmptyString(outPath, 'outPath');
  const out = createWriteStream(outPath);
  let rows = 0;
  let frauds = 0;
  try {
    const extended = sim.options.scenarios === 'all';
    const terminalCsv = extended ? sim.population.terminalCsv : undefined;
    await write(out, extended ? CSV_HEADER_LINE_EXTENDED : CSV_HEADER_LINE);
    for (let batch = sim.nextDay(); batch !== undefined; batch = sim.nextDay()) {
      for (let i = 0; i < batch.count; i++) frauds += batch.fraud[i]!;
      for (let from = 0; from < batch.count; from += ROWS_PER_CHUNK) {
        await write(out, formatDayRows(batch, from, Math.min(batch.count, from + ROWS_PER_CHUNK), terminalCsv));
      }
      rows += batch.count;
    }
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy();
    throw err;
  }
  return { rows, frauds };
}

async function write(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}
