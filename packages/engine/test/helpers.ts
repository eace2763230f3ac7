import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RecordViews } from '@fraudstream/schema';
import { generateCsv, readCsvRecords } from '@fraudstream/sources';
import { checkLaws, defaultModelPath, Engine, type DecidedBatch, type EngineOptions, type LawCounts, type LawViolation } from '../src/index.js';

/** The default model shipped in the repository. */
export const modelJson = (): string => readFileSync(defaultModelPath(), 'utf8');

/** A simulated stream (transactions with delayed label records interleaved) as packed records. */
export async function simulatedStream(days: number, customers = 300, terminals = 600): Promise<{ views: RecordViews; count: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'fs-engine-'));
  const file = join(dir, 'tx.csv');
  await generateCsv({ customers, terminals, days, start: '2018-04-01', seed: 7 }, file);
  const data = await readCsvRecords(file, { labelDelayDays: 2 });
  return { views: data.views, count: data.count };
}

export { feed } from '../src/testing.js';

/** Per transaction, in ingest order: score bits, decision, status, rules and reasons, from the engine's results. */
export function collect(engine: Engine): { rows: string[]; stop: () => void } {
  const rows: string[] = [];
  const stop = engine.onBatch((b: DecidedBatch) => {
    for (let i = 0; i < b.count; i++) {
      const s = b.slot + i;
      if (b.records.isLabel(s)) continue;
      rows.push(
        `${b.seq + i}:${b.records.txNum(s)}:${b.results.score(s)}:${b.results.decisionCode(s)}:${b.results.status(s)}:${b.results.rules(s)}:` +
          `${b.results.reason(s, 0)},${b.results.reason(s, 1)},${b.results.reason(s, 2)}`,
      );
    }
  });
  return { rows, stop };
}

export async function withEngine<T>(options: Partial<EngineOptions>, fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await Engine.create({ modelJson: modelJson(), modelVersion: 'test', ...options });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

/** Expects every conservation law to hold on a stats snapshot (the violations listed when one does not). */
export function lawsHold(stats: LawCounts): LawViolation[] {
  return checkLaws(stats);
}
