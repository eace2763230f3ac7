import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { cliServe } from './utils/cli.js';
import { until } from './utils/poll.js';

interface RuleRow {
  name: string;
  action: string;
  hits: number;
}
interface Served {
  counts: { scored: number };
  thresholds: { review: number; decline: number };
  rules: { version: string; generation: number; rules: RuleRow[]; block: { countries: number }; file?: { loads: number; error?: string } };
}

describe('fraudstream start --bundle FILE --rules FILE (the real process and server)', () => {
  it('serves the bundle, makes the rules file live, and follows its saves with the hits in /api/stats', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-rules-cli-'));
    const bundle = join(dir, 'b.json');
    const rules = join(dir, 'live.rules');
    writeFileSync(bundle, sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name: 'cli-bundle', featureSet, thresholds: { review: 0.6, decline: 0.95 } })));
    writeFileSync(rules, 'rule EVERY flag: amount >= 0\n');
    const { child, match } = await cliServe(
      ['start', '--port', '0', '--tps', '2000', '--workers', '1', '--ephemeral', '--bundle', bundle, '--rules', rules],
      /listening on (http:\/\/127\.0\.0\.1:(\d+)\/)/,
    );
    try {
      const base = match[1] as string;
      const stats = async (): Promise<Served> => (await (await fetch(`${base}api/stats`)).json()) as Served;
      const first = await until(async () => {
        const s = await stats();
        return (s.rules.rules[0]?.hits ?? 0) > 0 ? s : undefined;
      });
      expect(first.rules.version).toMatch(/^cli-bundle@[0-9a-f]{12}$/);
      expect(first.thresholds).toEqual({ review: 0.6, decline: 0.95 });
      expect(first.rules.rules[0]).toMatchObject({ name: 'EVERY', action: 'flag' });
      writeFileSync(rules, 'rule EVERY flag: amount >= 0\nrule SMALL flag: amount < 20\nblock country "KP"\n');
      const second = await until(async () => {
        const s = await stats();
        return s.rules.file?.loads === 2 && (s.rules.rules[1]?.hits ?? 0) > 0 ? s : undefined;
      });
      expect(second.rules.rules.map((r) => r.name)).toEqual(['EVERY', 'SMALL']);
      expect(second.rules.block.countries).toBe(1);
      expect(second.rules.generation).toBeGreaterThan(first.rules.generation);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  }, 60_000);
});
