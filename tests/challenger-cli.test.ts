import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { cliServe } from './utils/cli.js';
import { until } from './utils/poll.js';

interface Served {
  counts: { scored: number; invalid: number; declined: number; decided: number };
  laws: { ok: boolean };
  rules: { version: string };
  challenger: { version: string; counts: { scored: number; invalid: number; declined: number } } | null;
}

describe('fraudstream start --challenger FILE (the real process and server)', () => {
  it('scores the challenger in shadow beside the champion, shows it in /api/stats, and never acts on it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-challenger-cli-'));
    const file = join(dir, 'challenger.json');
    writeFileSync(file, sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name: 'decline-all', featureSet, thresholds: { review: 1, decline: 1 }, rules: 'rule ALL decline: amount >= 0' })));
    const { child, match } = await cliServe(
      ['start', '--port', '0', '--tps', '2000', '--workers', '1', '--ephemeral', '--challenger', file],
      /listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/,
    );
    try {
      const base = match[1] as string;
      const stats = async (): Promise<Served> => (await (await fetch(`${base}api/stats`)).json()) as Served;
      const s = await until(async () => {
        const v = await stats();
        return (v.challenger?.counts.scored ?? 0) > 500 ? v : undefined;
      });
      expect(s.challenger?.version).toMatch(/^decline-all@[0-9a-f]{12}$/);
      expect(s.rules.version).not.toMatch(/^decline-all@/);
      // The challenger declines everything it scores; the champion's own counts are untouched by it.
      expect(s.challenger?.counts.declined).toBe((s.challenger?.counts.scored ?? 0) + (s.challenger?.counts.invalid ?? 0));
      expect(s.laws.ok).toBe(true);
      expect(s.counts.declined).toBeLessThan(s.counts.decided / 2);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
