import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '@fraudstream/engine';
import { generateCsv, readCsvRecords } from '@fraudstream/sources';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Faults inside the real Rust scorer, through the addon built with the cargo feature `test-hooks` (`pnpm --filter
 * @fraudstream/scorer-native build:test-hooks`, run by this workspace's test script): a real panic in the scorer's
 * state phase, and a batch whose report counts one transaction more than it scored. The engine and its workers load
 * that build because FRAUDSTREAM_SCORER_NATIVE names it before the first import of the scorer.
 */
const HOOKS = fileURLToPath(new URL('../native/scorer/test-hooks/scorer.node', import.meta.url));

let engineModule: typeof import('@fraudstream/engine');
let feed: typeof import('@fraudstream/engine/testing').feed;
let stream: { views: import('@fraudstream/schema').RecordViews; count: number };

beforeAll(async () => {
  if (!existsSync(HOOKS)) throw new Error(`${HOOKS} is missing: run pnpm --filter @fraudstream/scorer-native build:test-hooks`);
  process.env.FRAUDSTREAM_SCORER_NATIVE = HOOKS;
  engineModule = await import('@fraudstream/engine');
  ({ feed } = await import('@fraudstream/engine/testing'));
  const dir = mkdtempSync(join(tmpdir(), 'fs-hooks-'));
  const file = join(dir, 'tx.csv');
  await generateCsv({ customers: 200, terminals: 400, days: 8, start: '2018-04-01', seed: 3 }, file);
  const data = await readCsvRecords(file, { labelDelayDays: 2 });
  stream = { views: data.views, count: data.count };
}, 60_000);

async function run(arm: (engine: Engine) => void): Promise<{ end: ReturnType<Engine['stats']>; scorer: ReturnType<Engine['scorer']['counts']>; warnings: string[] }> {
  const { Engine, defaultModelPath } = engineModule;
  const { readFileSync } = await import('node:fs');
  const engine = await Engine.create({ modelJson: readFileSync(defaultModelPath(), 'utf8'), modelVersion: 'hooks', workers: 2, maxBatch: 64, lingerMs: 0 });
  const warnings: string[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w.message);
  };
  process.on('warning', onWarning);
  try {
    arm(engine);
    await feed(engine, stream.views, stream.count, 200);
    await engine.drain();
    return { end: engine.stats(), scorer: engine.scorer.counts(), warnings };
  } finally {
    process.off('warning', onWarning);
    await engine.close();
  }
}

describe('faults inside the Rust scorer (test-hooks build)', () => {
  it('a real panic in the scorer becomes a JS error: the batch is decided by the fallback, counted, and the pipeline goes on', async () => {
    const { checkLaws, checkQuiescent } = engineModule;
    const r = await run((engine) => engine.scorer.armPanic(5));
    expect(r.end.batches.failed).toBe(1);
    expect(r.end.counts.fallback).toBeGreaterThan(0);
    expect(r.warnings.some((w) => /batch 5 failed/.test(w))).toBe(true);
    expect(checkLaws(r.end)).toEqual([]);
    expect(checkQuiescent(r.end, r.scorer)).toEqual([]);
    // Batches after the panic were scored by the same scorer.
    expect(r.end.counts.scored).toBeGreaterThan(r.end.counts.fallback * 10);
  }, 60_000);

  it('a batch report that counts one transaction too many breaks the decisions and outcomes laws', async () => {
    const { checkLaws } = engineModule;
    const r = await run((engine) => engine.scorer.armMiscount(5));
    const laws = checkLaws(r.end).map((v) => v.law);
    expect(laws).toContain('decisions');
    expect(laws).toContain('outcomes');
  }, 60_000);
});
