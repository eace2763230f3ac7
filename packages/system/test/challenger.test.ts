import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { DecisionLog, decisionLogDir } from '@fraudstream/store';
import { createSystem, shadowLogDir } from '../src/index.js';

describe('a challenger through the system (real engine, generator, data dir)', () => {
  it('writes every shadow decision to the shadow log beside the main one, each carrying the challenger version', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fs-system-challenger-'));
    const path = join(mkdtempSync(join(tmpdir(), 'fs-system-bundle-')), 'challenger.json');
    writeFileSync(path, sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name: 'shadow', featureSet, thresholds: { review: 1, decline: 1 }, rules: 'rule ALL decline: amount >= 0' })));
    const system = await createSystem({
      source: { kind: 'generator', tps: 5_000, seed: 9 },
      workers: 1,
      durability: { dataDir },
      challengerPath: path,
      autoStart: true,
    });
    let stats;
    try {
      await vi.waitFor(() => expect(system.stats().challenger?.counts.scored).toBeGreaterThan(2_000), { timeout: 20_000, interval: 50 });
      await system.stop();
      stats = system.stats();
    } finally {
      await system.close();
    }
    const ch = stats.challenger!;
    expect(stats.laws).toEqual({ ok: true, violations: [] });
    expect(ch.counts.scored + ch.counts.invalid).toBe(stats.counts.scored + stats.counts.invalid);
    expect(stats.shadowLog).toEqual({ records: ch.counts.scored + ch.counts.invalid });
    const shadow = DecisionLog.open(shadowLogDir(dataDir), { readOnly: true });
    const main = DecisionLog.open(decisionLogDir(dataDir), { readOnly: true });
    try {
      expect(shadow.records()).toBe(ch.counts.scored + ch.counts.invalid);
      expect(main.records()).toBe(stats.counts.decided);
      const rows = shadow.query({ limit: 500 }).rows;
      expect(rows.length).toBe(500);
      expect(rows.every((r) => r.modelVersion === ch.version && r.decision === 'DECLINE' && r.reasons.includes('ALL'))).toBe(true);
      // The champion's log has none of them: it never declines everything.
      expect(main.query({ limit: 500 }).rows.some((r) => r.modelVersion === ch.version)).toBe(false);
    } finally {
      shadow.close();
      main.close();
    }
  }, 60_000);

  it('without a challenger no shadow log is created', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fs-system-nochallenger-'));
    const system = await createSystem({ source: { kind: 'generator', tps: 5_000, seed: 9 }, workers: 1, durability: { dataDir }, autoStart: true });
    try {
      await vi.waitFor(() => expect(system.stats().counts.scored).toBeGreaterThan(500), { timeout: 20_000, interval: 50 });
      expect(system.stats().shadowLog).toEqual({ records: 0 });
    } finally {
      await system.close();
    }
    expect(existsSync(shadowLogDir(dataDir))).toBe(false);
    expect(existsSync(decisionLogDir(dataDir))).toBe(true);
  }, 60_000);
});
