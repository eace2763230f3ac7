import { describe, expect, it } from 'vitest';
import { checkLaws, createSystem } from '../src/index.js';

describe('createSystem (the real engine, addon and generator)', () => {
  it('wires the generator as a writer, so the served laws compare its own count with the engine and the scorer', async () => {
    const system = await createSystem({ source: { kind: 'generator', tps: 5_000, seed: 2 }, workers: 1, autoStart: true });
    try {
      await new Promise((r) => setTimeout(r, 600));
      await system.stop();
      const s = system.stats();
      const g = system.sourceStats();
      expect(g.generated).toBeGreaterThan(0);
      expect(s.counts.written).toBe(g.generated);
      expect(s.counts.labels.written).toBe(g.labelsEmitted);
      expect(s.counts.scored).toBe(g.generated);
      expect(s.laws).toEqual({ ok: true, violations: [] });
      expect(checkLaws(s)).toEqual([]);
      expect(s.source).toMatchObject({ kind: 'generator', targetTps: 5_000, state: 'stopped', schedule: { shed: 0 } });
    } finally {
      await system.close();
    }
  }, 60_000);

  it('refuses a bad configuration naming the field', async () => {
    await expect(createSystem({ source: { kind: 'generator', tps: 0 } })).rejects.toThrow(/config\.source\.tps/);
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, thresholds: { review: 0.9, decline: 0.1 } })).rejects.toThrow(/thresholds/);
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, maxScheduleLagMs: -1 })).rejects.toThrow(/maxScheduleLagMs/);
  });
});
