import { describe, expect, it } from 'vitest';
import { PacingSchedule } from '../src/index.js';

describe('PacingSchedule', () => {
  it('makes transaction k due at start + k / rate, and owes what fell due while nothing was written', () => {
    const p = new PacingSchedule(1000);
    p.start(10_000);
    expect(p.due(10_000)).toBe(1);
    expect(p.dueAt(0, 10_000)).toBe(10_000);
    expect(p.dueAt(3, 10_000)).toBe(10_003);
    // 50 ms without writing: 51 transactions are due, each with its own due time.
    expect(p.due(10_050)).toBe(51);
    p.take(20);
    expect(p.dueAt(0, 10_050)).toBe(10_020);
    expect(p.lagMs(10_050)).toBe(30);
    expect(p.due(10_050)).toBe(31);
    expect(p.msUntil(1, 10_050)).toBe(0);
  });

  it('waits when ahead of the schedule', () => {
    const p = new PacingSchedule(100);
    p.start(0);
    p.take(1);
    expect(p.due(5)).toBe(0);
    expect(p.msUntil(1, 5)).toBe(5);
    expect(p.msUntil(3, 5)).toBe(25);
  });

  it('re-bases past the lag limit and counts the skipped transactions as shed', () => {
    const p = new PacingSchedule(1000, 100);
    p.start(0);
    expect(p.due(1_000)).toBe(101);
    expect(p.shed).toBe(900);
    expect(p.maxLagMs).toBe(1000);
    const never = new PacingSchedule(1000, Infinity);
    never.start(0);
    expect(never.due(1_000)).toBe(1001);
    expect(never.shed).toBe(0);
  });

  it('keeps what is owed across a rate change and is unpaced at Infinity', () => {
    const p = new PacingSchedule(1000);
    p.start(0);
    expect(p.due(10)).toBe(11);
    p.setRate(10, 10);
    expect(p.dueAt(0, 10)).toBe(0);
    const max = new PacingSchedule(Infinity);
    max.start(0);
    expect(max.due(5)).toBe(Infinity);
    expect(max.dueAt(7, 5)).toBe(5);
    expect(max.lagMs(5)).toBe(0);
  });
});
