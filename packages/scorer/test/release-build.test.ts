import { describe, expect, it } from 'vitest';
import { Scorer, hasTestHooks, nativePath } from '../src/index.js';

describe('the packaged addon', () => {
  it('is the release build, without test hooks, and says how to get them', () => {
    expect(nativePath).toMatch(/native\/scorer\/index\.js$/);
    expect(hasTestHooks()).toBe(false);
    const s = Scorer.open();
    try {
      expect(() => s.armPanic(0)).toThrow(/built without the test-hooks feature.*build:test-hooks/);
      expect(() => s.armMiscount(0)).toThrow(/test-hooks/);
    } finally {
      s.close();
    }
  });
});
