// Loads the addon built with the cargo feature `test-hooks` (the package's test script builds it first), so a
// real Rust panic and a real miscount go through napi exactly as they would in production code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const hooksBuild = fileURLToPath(new URL('../../../native/scorer/test-hooks/scorer.node', import.meta.url));
if (!existsSync(hooksBuild)) {
  throw new Error(`${hooksBuild} is missing: run \`pnpm --filter @fraudstream/scorer-native build:test-hooks\``);
}
process.env.FRAUDSTREAM_SCORER_NATIVE = hooksBuild;
const { Scorer, hasTestHooks, nativePath } = await import('../src/index.js');
const { records, results, stream } = await import('./helpers.js');
// The face has loaded its addon; a later test file run in this process must not inherit the override.
delete process.env.FRAUDSTREAM_SCORER_NATIVE;

describe('test hooks (addon built with test-hooks)', () => {
  it('loads the file named by FRAUDSTREAM_SCORER_NATIVE', () => {
    expect(nativePath).toBe(hooksBuild);
    expect(hasTestHooks()).toBe(true);
  });

  it('a panic in the state phase becomes a JS Error, releases the gate, and the scorer goes on', () => {
    const s = Scorer.open();
    try {
      const r = records(stream(15));
      const out = results(15);
      s.armPanic(1);
      expect(s.scoreBatch(r.u8, out.u8, 0, 5, 0)).toEqual({ scored: 4, labels: 1, invalid: 0 });
      let thrown: unknown;
      try {
        s.scoreBatch(r.u8, out.u8, 5, 5, 1);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(String((thrown as Error).message)).toMatch(/armed panic in the state phase of ticket 1/);
      expect(s.ticketDone(1)).toBe(true);
      // The next ticket does not wait for the failed one, and the (poisoned, recovered) state still works.
      expect(s.scoreBatch(r.u8, out.u8, 10, 5, 2)).toEqual({ scored: 4, labels: 1, invalid: 0 });
      expect(s.counts()).toEqual({ scored: 8, labels: 2, invalid: 0, batches: 2 });
    } finally {
      s.close();
    }
  });

  it('a miscount makes the batch report one more scored than it wrote', () => {
    const s = Scorer.open();
    try {
      const r = records(stream(5));
      const out = results(5);
      s.armMiscount(0);
      const c = s.scoreBatch(r.u8, out.u8, 0, 5, 0);
      let written = 0;
      for (let i = 0; i < 5; i++) if (out.status(i) === 0) written++;
      expect(written).toBe(4);
      expect(c.scored).toBe(written + 1);
      expect(s.counts().scored).toBe(written + 1);
    } finally {
      s.close();
    }
  });
});
