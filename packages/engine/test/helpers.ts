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

/**
 * Feeds packed records through the engine's sink, waiting (never dropping) when the ring is full. Like a source, it
 * counts what it writes itself and registers that count with the engine (the stats' `written`).
 */
export async function feed(engine: Engine, src: RecordViews, count: number, chunk = 512): Promise<number> {
  let fullWaits = 0;
  let i = 0;
  const sink = engine.sink;
  const written = { transactions: 0, labels: 0 };
  engine.addWriter(() => written);
  while (i < count) {
    const n = sink.claim(Math.min(chunk, count - i));
    if (n === 0) {
      fullWaits++;
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const ingest = performance.timeOrigin + performance.now();
    for (let k = 0; k < n; k++) {
      const slot = sink.claimedSlot + k;
      sink.views.copyFrom(src, i + k, slot);
      sink.views.setIngestMs(slot, ingest);
      sink.dueMs[slot] = ingest;
      if (src.isLabel(i + k)) written.labels++;
      else written.transactions++;
    }
    sink.publish(n);
    i += n;
  }
  return fullWaits;
}

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
