import { describe, expect, it } from 'vitest';
import { featureNames, isolationScores } from '../src/index.js';

const W = featureNames.length;

/** `n` feature rows (NaN everywhere) with `amount` and `hour` drawn around 50 and 12 from a seeded LCG. */
function cluster(n: number): Float32Array {
  const rows = new Float32Array(n * W).fill(Number.NaN);
  let s = 12345;
  const unit = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (let i = 0; i < n; i++) {
    rows[i * W + featureNames.indexOf('amount')] = 45 + 10 * unit();
    rows[i * W + featureNames.indexOf('hour')] = 10 + 4 * unit();
  }
  return rows;
}

describe('isolationScores', () => {
  it('scores an outlier above the rows it was fitted on', () => {
    const train = cluster(1000);
    const probe = cluster(2);
    probe[W + featureNames.indexOf('amount')] = 900;
    const out = new Float32Array(2);
    isolationScores(train, 1000, probe, 2, out, { trees: 50, sample: 128, seed: 3, features: ['amount', 'hour'] });
    expect(out[1]!).toBeGreaterThan(0.6);
    expect(out[1]! - out[0]!).toBeGreaterThan(0.15);
    // Same seed, same scores.
    const again = new Float32Array(2);
    isolationScores(train, 1000, probe, 2, again, { trees: 50, sample: 128, seed: 3, features: ['amount', 'hour'] });
    expect(Array.from(again)).toEqual(Array.from(out));
  });

  it('names the bad option or array', () => {
    const train = cluster(10);
    const out = new Float32Array(10);
    expect(() => isolationScores(train, 10, train, 10, out, { features: ['nope'] })).toThrow(
      /options\.features: 'nope' is not a Fraudstream feature/,
    );
    expect(() => isolationScores(train, 11, train, 10, out)).toThrow(/train needs/);
    expect(() => isolationScores(train, 10, train, 10, new Float32Array(3))).toThrow(/features needs .* and out 10/);
    expect(() => isolationScores(train, 10, train, 10, train.subarray(0, 10))).toThrow(/share memory/);
    expect(() => isolationScores(train, 0, train, 10, out)).toThrow(/at least one row/);
  });
});
