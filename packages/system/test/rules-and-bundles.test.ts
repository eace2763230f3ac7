import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { createSystem } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'fs-system-rules-'));

describe('rules and bundles through the system (real engine, generator and file watcher)', () => {
  it('makes a watched rules file live at start and at every save, reports a bad save and keeps the live rules', async () => {
    const path = join(dir, 'live.rules');
    writeFileSync(path, 'rule BIG review: amount > 50\n');
    const system = await createSystem({ source: { kind: 'generator', tps: 2_000, seed: 3 }, workers: 1, rulesPath: path, autoStart: true });
    try {
      expect(system.stats().rules).toMatchObject({ rules: [{ name: 'BIG', action: 'review' }], file: { path, loads: 1 } });
      // Every transaction matches: its hits keep rising while the generator runs.
      writeFileSync(path, 'rule BIG review: amount > 50\nrule ANY flag: amount >= 0\n');
      await vi.waitFor(() => expect(system.stats().rules.file?.loads).toBe(2), { timeout: 10_000, interval: 50 });
      await vi.waitFor(() => expect(system.ruleStats().rules[1]?.hits).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
      const good = system.ruleStats();
      writeFileSync(path, 'rule BIG review: amount > 50\nrule ANY flag: amount >=\n');
      await vi.waitFor(() => expect(system.stats().rules.file?.error).toMatch(/rules: ANY at line 2, column 25/), { timeout: 10_000, interval: 50 });
      expect(system.ruleStats().generation).toBe(good.generation);
      expect(system.ruleStats().rules.map((r) => r.name)).toEqual(['BIG', 'ANY']);
      await system.stop();
      expect(system.stats().laws).toEqual({ ok: true, violations: [] });
    } finally {
      await system.close();
    }
  }, 60_000);

  it('liveConfig: the live text and what set it; the last writer wins between the API and the watched file', async () => {
    const path = join(dir, 'precedence.rules');
    writeFileSync(path, 'rule FROM_FILE flag: amount > 1\n');
    const system = await createSystem({ source: { kind: 'generator', tps: 500, seed: 6 }, workers: 1, rulesPath: path });
    try {
      expect(system.liveConfig?.()).toMatchObject({ rulesText: 'rule FROM_FILE flag: amount > 1\n', rulesOrigin: 'file', bundle: undefined });
      // The label decisions carry: the model's version + the text's hash.
      expect(system.liveConfig?.().version).toMatch(/\+rules@[0-9a-f]{8}$/);
      system.setRules('rule FROM_API flag: amount > 2');
      expect(system.liveConfig?.()).toMatchObject({ rulesText: 'rule FROM_API flag: amount > 2', rulesOrigin: 'api' });
      // A refused text changes nothing.
      expect(() => system.setRules('rule BAD flag: amount >')).toThrow(/rules: BAD/);
      expect(system.liveConfig?.()).toMatchObject({ rulesText: 'rule FROM_API flag: amount > 2', rulesOrigin: 'api' });
      // The file's next save replaces the API's text.
      writeFileSync(path, 'rule FROM_FILE_AGAIN flag: amount > 3\n');
      await vi.waitFor(() => expect(system.liveConfig?.()).toMatchObject({ rulesText: 'rule FROM_FILE_AGAIN flag: amount > 3\n', rulesOrigin: 'file' }), { timeout: 10_000, interval: 50 });
      expect(system.ruleStats().rules.map((r) => r.name)).toEqual(['FROM_FILE_AGAIN']);
      // A bundle swap: its rules text and info; rules set later keep the bundle as the base.
      const text = sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name: 'b', featureSet, thresholds: { review: 0.5, decline: 0.9 }, rules: 'rule IN_BUNDLE flag: amount > 4' }));
      const info = system.swapBundle(text);
      expect(system.liveConfig?.()).toEqual({ rulesText: 'rule IN_BUNDLE flag: amount > 4', rulesOrigin: 'bundle', bundle: info, version: info.version });
      system.setRules('rule AFTER flag: amount > 5');
      expect(system.liveConfig?.()).toMatchObject({ rulesText: 'rule AFTER flag: amount > 5', rulesOrigin: 'api', bundle: info });
      expect(system.liveConfig?.().version).toMatch(new RegExp(`^${info.version}\\+rules@[0-9a-f]{8}$`));
    } finally {
      await system.close();
    }
  }, 60_000);

  it('starts on a bundle file, swaps bundles and rules through its methods, and refuses bad ones naming the problem', async () => {
    const bundle = (name: string, decline: number): string =>
      sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name, featureSet, thresholds: { review: 0.5, decline }, rules: 'rule R flag: amount > 1' }));
    const path = join(dir, 'start.bundle.json');
    writeFileSync(path, bundle('first', 0.9));
    const system = await createSystem({ source: { kind: 'generator', tps: 1_000, seed: 4 }, workers: 1, bundlePath: path });
    try {
      expect(system.ruleStats().version).toMatch(/^first@[0-9a-f]{12}$/);
      expect(system.liveConfig?.()).toMatchObject({ rulesText: 'rule R flag: amount > 1', rulesOrigin: 'bundle', bundle: { name: 'first', version: system.ruleStats().version } });
      expect(system.stats().thresholds).toEqual({ review: 0.5, decline: 0.9 });
      const second = system.swapBundle(bundle('second', 0.8));
      expect(second.version).toMatch(/^second@/);
      expect(system.stats().thresholds).toEqual({ review: 0.5, decline: 0.8 });
      expect(() => system.swapBundle('{}')).toThrow(/bundle\.format/);
      expect(() => system.setRules('rule X decline: country == "France"')).toThrow(/rules: X at line 1, column 28/);
      expect(system.setRules('block country "KP"').block.countries).toBe(1);
    } finally {
      await system.close();
    }
    await expect(
      createSystem({ source: { kind: 'generator', tps: 10 }, rulesPath: join(dir, 'missing.rules') }),
    ).rejects.toThrow(/config\.rulesPath/);
    writeFileSync(join(dir, 'bad.rules'), 'rule A review: amount >');
    await expect(createSystem({ source: { kind: 'generator', tps: 10 }, rulesPath: join(dir, 'bad.rules') })).rejects.toThrow(
      /config\.rulesPath .*rules: A at line 1, column 24/,
    );
  }, 60_000);
});
