import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('module formats', () => {
  it('exposes named exports to ESM importers (cjs-module-lexer)', () => {
    const entry = fileURLToPath(new URL('../index.js', import.meta.url));
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { createScorer, scoreBatch, featureNames } from ${JSON.stringify(entry)}; console.log(typeof createScorer, typeof scoreBatch, featureNames().length)`],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe('function function 34');
  });
});
