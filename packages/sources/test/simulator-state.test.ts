import { describe, expect, it } from 'vitest';
import { Simulator, type DayBatch, type SimulatorOptions } from '../src/index.js';

/** A day's transactions as plain arrays (the batch object is reused by the next call). */
function copyDay(b: DayBatch | undefined): unknown {
  if (b === undefined) return undefined;
  const n = b.count;
  return {
    day: b.day,
    firstId: b.firstId,
    count: n,
    timeSec: [...b.timeSec.subarray(0, n)],
    customer: [...b.customer.subarray(0, n)],
    terminal: [...b.terminal.subarray(0, n)],
    amount: [...b.amount.subarray(0, n)],
    fraud: [...b.fraud.subarray(0, n)],
    scenario: [...b.scenario.subarray(0, n)],
    newTerminals: [...b.newTerminals.subarray(0, b.newTerminalCount)],
    newCustomers: [...b.newCustomers.subarray(0, b.newCustomerCount)],
  };
}

function days(s: Simulator, n: number): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(copyDay(s.nextDay()));
  return out;
}

describe('Simulator.saveState / restoreState', () => {
  it.each([
    ['handbook', 0],
    ['handbook', 17],
    ['all', 1],
    ['all', 23],
  ] as const)('scenarios %s, saved after %i days: a new simulator continues with exactly the same days', (scenarios, at) => {
    const options: SimulatorOptions = { customers: 300, terminals: 500, seed: 5, scenarios, days: 60 };
    const a = new Simulator(options);
    days(a, at);
    const bytes = a.saveState();
    const b = new Simulator(options);
    b.restoreState(bytes, 'state.bin');
    expect(b.day).toBe(at);
    expect(b.generated).toBe(a.generated);
    expect(copyDay(b.currentBatch())).toEqual(copyDay(a.currentBatch()));
    // 30 more days: past the 14-day lookahead, so scenario 3 draws and compromises made after the restore count too.
    const next = days(a, 30);
    expect(days(b, 30)).toEqual(next);
    // Frauds of scenarios 2 and 3 are among them, so the compared state includes the compromise tables.
    const scenariosSeen = new Set((next as { scenario: number[] }[]).flatMap((d) => d.scenario));
    expect(scenariosSeen.has(2) && scenariosSeen.has(3)).toBe(true);
  });

  it('the check can fail: a state a day early, a flipped byte, or no state at all give other days', () => {
    const options: SimulatorOptions = { customers: 300, terminals: 500, seed: 5, days: 60, scenarios: 'handbook' };
    const a = new Simulator(options);
    days(a, 10);
    const early = a.saveState();
    days(a, 1);
    const bytes = a.saveState();
    const next = days(a, 14);
    const dayEarly = new Simulator(options);
    dayEarly.restoreState(early, 'state.bin');
    expect(days(dayEarly, 14)).not.toEqual(next);
    // One byte in the middle of the buffered days (their columns): the restored simulator hands it out.
    const flipped = bytes.slice();
    flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] ?? 0) ^ 0x40;
    const corrupt = new Simulator(options);
    corrupt.restoreState(flipped, 'state.bin');
    expect(days(corrupt, 14)).not.toEqual(next);
    expect(days(new Simulator(options), 14)).not.toEqual(next);
    // And the unchanged bytes do give the same days (the three checks above fail for a reason).
    const same = new Simulator(options);
    same.restoreState(bytes, 'state.bin');
    expect(days(same, 14)).toEqual(next);
  });

  it('refuses bytes that are not a state of this population, truncated, or too long, naming the file', () => {
    const options: SimulatorOptions = { customers: 300, terminals: 500, seed: 5, days: 60 };
    const a = new Simulator(options);
    days(a, 3);
    const bytes = a.saveState();
    expect(() => new Simulator(options).restoreState(new Uint8Array(8), 'x.bin')).toThrow(/x\.bin: the simulator state does not start with "FSSIM1"/);
    expect(() => new Simulator(options).restoreState(bytes.subarray(0, bytes.length - 7), 'x.bin')).toThrow(/x\.bin: the simulator state is truncated \(at day 15\)/);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(() => new Simulator(options).restoreState(longer, 'x.bin')).toThrow(/x\.bin: the simulator state has 3 bytes past its end/);
    expect(() => new Simulator({ ...options, customers: 301 }).restoreState(bytes, 'x.bin')).toThrow(/has customers 300, this simulator 301/);
    expect(() => new Simulator({ ...options, scenarios: 'handbook' }).restoreState(bytes, 'x.bin')).toThrow(/was taken with scenarios 'all'/);
  });
});
