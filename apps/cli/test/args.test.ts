import { describe, expect, it } from 'vitest';
import { date, num, parse, required, UsageError } from '../src/args.js';

describe('CLI argument parsing', () => {
  it('parses known flags and --help', () => {
    const a = parse(['--out', 'x.csv', '--days', '3', '-h'], { out: { type: 'string' }, days: { type: 'string' } });
    expect(a).toMatchObject({ out: 'x.csv', days: '3', help: true });
  });

  it('turns unknown flags and stray arguments into usage errors naming them', () => {
    expect(() => parse(['--nope'], { out: { type: 'string' } })).toThrow(UsageError);
    expect(() => parse(['--nope'], { out: { type: 'string' } })).toThrow(/--nope/);
    expect(() => parse(['stray'], { out: { type: 'string' } })).toThrow(UsageError);
  });

  it('reads bounded numbers, naming the flag when out of range or not a number', () => {
    expect(num(undefined, 'days', 1, 10, 7)).toBe(7);
    expect(num('4', 'days', 1, 10, 7)).toBe(4);
    expect(() => num('0', 'days', 1, 10, 7)).toThrow(/--days must be an integer from 1 to 10/);
    expect(() => num('2.5', 'days', 1, 10, 7)).toThrow(/--days/);
    expect(() => num('abc', 'days', 1, 10, 7)).toThrow(/--days/);
    expect(() => num('', 'days', 1, 10, 7)).toThrow(/--days/);
    expect(num('0.05', 'learning-rate', 0.001, 1, 0.1, false)).toBe(0.05);
  });

  it('reads real calendar dates only', () => {
    expect(date('2018-07-25', 'from')).toBe(Date.UTC(2018, 6, 25));
    expect(date(undefined, 'from')).toBeUndefined();
    expect(() => date('2018-02-30', 'from')).toThrow(/--from must be a date YYYY-MM-DD/);
    expect(() => date('25/07/2018', 'from')).toThrow(/--from/);
  });

  it('requires required flags', () => {
    expect(required('a', 'data')).toBe('a');
    expect(() => required(undefined, 'data')).toThrow(/--data is required/);
  });
});
