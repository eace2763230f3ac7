import { describe, expect, it } from 'vitest';
import { Scorer, checkThresholds, extractFeatures, modelVersionOf, scorerDefaults } from '../src/index.js';
import { records, stream } from './helpers.js';

describe('options', () => {
  it('reads the defaults and limits from Rust', () => {
    expect(scorerDefaults).toEqual({
      thresholds: { review: 0.5, decline: 0.9 },
      labelDelayDays: 7,
      labelDelayDaysMax: 60,
      rules: { highAmount: 5000, velocity1d: 30 },
    });
    expect(Object.isFrozen(scorerDefaults.thresholds)).toBe(true);
  });

  it.each([
    [{ labelDelayDays: 61 }, RangeError, /options\.labelDelayDays must be a whole number of days from 0 to 60, got 61/],
    [{ labelDelayDays: 1.5 }, RangeError, /options\.labelDelayDays/],
    [{ labelDelayDays: '7' }, TypeError, /options\.labelDelayDays must be a number/],
    [{ thresholds: { review: 0.9, decline: 0.5 } }, RangeError, /options\.thresholds must satisfy/],
    [{ thresholds: { review: 0.2 } }, TypeError, /options\.thresholds\.decline must be a number/],
    [{ rules: { highAmount: -1 } }, RangeError, /options\.rules\.highAmount must be a finite number >= 0/],
    [{ rules: { velocity: 3 } }, TypeError, /options\.rules\.velocity is not a rule option/],
    [{ reviewThreshold: 0.5 }, TypeError, /options\.reviewThreshold is not a scorer option/],
    [[], TypeError, /options must be an object/],
  ])('refuses %j naming the option', (bad, type, message) => {
    expect(() => Scorer.open(bad as never)).toThrow(type);
    expect(() => Scorer.open(bad as never)).toThrow(message);
  });

  it('accepts the limit itself and applies the options', () => {
    const s = Scorer.open({ labelDelayDays: 60, thresholds: { review: 0.1, decline: 0.2 }, rules: { highAmount: 1, velocity1d: 100 } });
    s.close();
  });

  it('validates the options of extractFeatures the same way', () => {
    const r = records(stream(5));
    expect(() => extractFeatures({ labelDelayDays: 99 }, r.u8, 5, new Float32Array(200))).toThrow(/options\.labelDelayDays/);
    expect(extractFeatures({ labelDelayDays: 0 }, r.u8, 5, new Float32Array(200))).toBe(4);
  });

  it('checkThresholds is the one threshold rule, naming what it checks', () => {
    expect(() => checkThresholds({ review: 0.5, decline: 0.9 })).not.toThrow();
    expect(() => checkThresholds({ review: 0, decline: 0 })).not.toThrow();
    expect(() => checkThresholds({ review: 0.6, decline: 0.5 }, 'body')).toThrow(/^body must satisfy 0 <= review <= decline <= 1/);
    expect(() => checkThresholds({ review: -0.1, decline: 0.5 })).toThrow(RangeError);
    expect(() => checkThresholds({ review: Number.NaN, decline: 0.5 })).toThrow(RangeError);
    expect(() => checkThresholds({ review: 0.1, decline: 1.01 })).toThrow(RangeError);
    expect(() => checkThresholds('x', 'body')).toThrow(/body must be an object/);
    const s = Scorer.open();
    try {
      expect(() => s.setThresholds({ review: 0.9, decline: 0.1 })).toThrow(RangeError);
      s.setThresholds({ review: 0.1, decline: 0.2 });
    } finally {
      s.close();
    }
  });
});

describe('modelVersionOf', () => {
  it("uses the model's own version, else the file name and a content hash", () => {
    expect(modelVersionOf('/m/x.json', JSON.stringify({ version: 'fraud-7' }))).toBe('fraud-7');
    const a = modelVersionOf('/m/default.json', '{"learner":{}}');
    const b = modelVersionOf('/m/default.json', '{"learner":{ }}');
    expect(a).toMatch(/^default@[0-9a-f]{12}$/);
    expect(a).not.toBe(b);
    expect(modelVersionOf('/m/x.json', JSON.stringify({ version: '' }))).toMatch(/^x@/);
    expect(modelVersionOf('/m/x.json', JSON.stringify({ version: 'v'.repeat(129) }))).toMatch(/^x@/);
    expect(modelVersionOf('/m/x.json', 'not json')).toMatch(/^x@[0-9a-f]{12}$/);
  });
});
