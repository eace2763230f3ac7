import { hashKey } from '@fraudstream/schema';
import { describe, expect, it } from 'vitest';
import {
  availableTerminals,
  DAY_SECONDS,
  Prng,
  roundCents,
  SCENARIO1_AMOUNT,
  SCENARIO2_DAYS,
  SCENARIO3_DAYS,
  Simulator,
  type DayBatch,
} from '../src/index.js';

/** A copy of a day (batches are reused by the simulator). */
function snapshot(b: DayBatch) {
  const n = b.count;
  return {
    day: b.day,
    firstId: b.firstId,
    time: Array.from(b.timeSec.subarray(0, n)),
    customer: Array.from(b.customer.subarray(0, n)),
    terminal: Array.from(b.terminal.subarray(0, n)),
    amount: Array.from(b.amount.subarray(0, n)),
    fraud: Array.from(b.fraud.subarray(0, n)),
    scenario: Array.from(b.scenario.subarray(0, n)),
  };
}

function days(options: ConstructorParameters<typeof Simulator>[0]) {
  const sim = new Simulator(options);
  const out = [];
  for (let b = sim.nextDay(); b !== undefined; b = sim.nextDay()) out.push(snapshot(b));
  return out;
}

describe('Simulator', () => {
  it('validates options up front', () => {
    expect(() => new Simulator({ customers: 0 })).toThrow(RangeError);
    expect(() => new Simulator({ customers: 0 })).toThrow('options.customers must be an integer from 1 to 10000000');
    expect(() => new Simulator({ start: '2018-02-30' })).toThrow(RangeError);
    expect(() => new Simulator({ seed: 'x' as unknown as number })).toThrow(TypeError);
    expect(() => new Simulator({ customers: 1, terminals: 1, radius: 0.01 })).toThrow(/no customer has a terminal/);
  });

  it('is deterministic for a seed', () => {
    const opts = { customers: 300, terminals: 600, days: 20, seed: 5 };
    expect(days(opts)).toEqual(days(opts));
    expect(days({ ...opts, seed: 6 })).not.toEqual(days(opts));
  });

  it('finds available terminals with the grid exactly as a naive scan would', () => {
    const r = new Prng(3);
    const cx = Float64Array.from({ length: 300 }, () => r.uniform(0, 100));
    const cy = Float64Array.from({ length: 300 }, () => r.uniform(0, 100));
    const tx = Float64Array.from({ length: 2000 }, () => r.uniform(0, 100));
    const ty = Float64Array.from({ length: 2000 }, () => r.uniform(0, 100));
    for (const radius of [0.3, 5, 7.5, 30, 120]) {
      const { start, list } = availableTerminals(cx, cy, tx, ty, radius);
      for (let c = 0; c < cx.length; c++) {
        const naive: number[] = [];
        for (let t = 0; t < tx.length; t++) {
          if (Math.hypot(cx[c]! - tx[t]!, cy[c]! - ty[t]!) < radius) naive.push(t);
        }
        expect(Array.from(list.subarray(start[c]!, start[c + 1]!))).toEqual(naive);
      }
    }
  });

  it('precomputes card and terminal keys from the decimal ids', () => {
    const sim = new Simulator({ customers: 20, terminals: 30, days: 1 });
    const p = sim.population;
    const key = (arr: Uint32Array, i: number) => (BigInt(arr[i * 2 + 1]!) << 32n) | BigInt(arr[i * 2]!);
    expect(key(p.cardKeys, 7)).toBe(hashKey('7'));
    expect(key(p.terminalKeys, 29)).toBe(hashKey('29'));
  });

  it('has the handbook distributions: ~2 transactions per customer-day, times inside the day, cent amounts', () => {
    const sim = new Simulator({ customers: 2000, terminals: 4000, days: 30, seed: 1 });
    const p = sim.population;
    let n = 0;
    let sumAmount = 0;
    let nonFraud3 = 0;
    let nextId = 0;
    const bad = { time: 0, amount: 0, terminal: 0 };
    for (let b = sim.nextDay(); b !== undefined; b = sim.nextDay()) {
      expect(b.firstId).toBe(nextId);
      nextId += b.count;
      let prev = 0;
      for (let i = 0; i < b.count; i++) {
        const t = b.timeSec[i]!;
        if (!(t > 0 && t < DAY_SECONDS) || t < prev) bad.time++;
        prev = t;
        const a = b.amount[i]!;
        if (a < 0 || Math.abs(a * 100 - Math.round(a * 100)) > 1e-6) bad.amount++;
        const c = b.customer[i]!;
        const term = b.terminal[i]!;
        // The customer's own transactions (not those the extra fraud patterns insert) stay within the radius.
        const own = b.inserted[i] === 0;
        if (own && Math.hypot(p.customerX[c]! - p.terminalX[term]!, p.customerY[c]! - p.terminalY[term]!) >= 5) bad.terminal++;
        if (b.scenario[i] === 0 || b.scenario[i] === 1 || b.scenario[i] === 2) {
          sumAmount += a;
          nonFraud3++;
        }
      }
      n += b.count;
    }
    expect(bad).toEqual({ time: 0, amount: 0, terminal: 0 });
    const perCustomerDay = n / (2000 * 30);
    // Expected: E[U(0,4)] = 2, times P(0 < N(43200, 20000) < 86400) ~ 0.97, times P(a terminal within 5) ~ 1.
    expect(perCustomerDay).toBeGreaterThan(1.8);
    expect(perCustomerDay).toBeLessThan(2.1);
    // Mean amount ~ E[U(5,100)] = 52.5 (slightly above: negative draws are redrawn).
    expect(sumAmount / nonFraud3).toBeGreaterThan(48);
    expect(sumAmount / nonFraud3).toBeLessThan(60);
    let meanRate = 0;
    for (let c = 0; c < p.customers; c++) {
      expect(p.stdAmount[c]).toBeCloseTo(p.meanAmount[c]! / 2, 12);
      expect(p.meanAmount[c]! >= 5 && p.meanAmount[c]! < 100).toBe(true);
      meanRate += p.meanTxPerDay[c]!;
    }
    expect(meanRate / p.customers).toBeCloseTo(2, 0);
  });

  it('produces ~0.8% fraud over the default 183 days, each scenario with its defining property', { timeout: 60_000 }, () => {
    // The handbook's scenarios alone (the extra ones are checked below).
    const sim = new Simulator({ scenarios: 'handbook' });
    const termDay = new Map<number, number[]>();
    const custDay = new Map<number, number[]>();
    const within = (m: Map<number, number[]>, k: number, d: number, span: number) =>
      (m.get(k) ?? []).some((day) => day <= d && d < day + span);
    let n = 0;
    let frauds = 0;
    const byScenario = [0, 0, 0, 0];
    const bad = { flag: 0, s1: 0, s2: 0, s3: 0, s2missed: 0, s1missed: 0 };
    // Per day and customer: own transactions and scenario-3 frauds, for the exact-share check below.
    const perDay: Map<number, { n: number; s3: number }>[] = [];
    const draws: { day: number; customers: number[] }[] = [];
    for (let b = sim.nextDay(); b !== undefined; b = sim.nextDay()) {
      for (let i = 0; i < b.newTerminalCount; i++) {
        const t = b.newTerminals[i]!;
        termDay.set(t, [...(termDay.get(t) ?? []), b.day]);
      }
      // The handbook draws compromises on days 0 .. last - 1 (range(TX_TIME_DAYS.max())).
      const drawDay = b.day < 182;
      expect(b.newTerminalCount).toBe(drawDay ? 2 : 0);
      expect(b.newCustomerCount).toBe(drawDay ? 3 : 0);
      const cs: number[] = [];
      for (let i = 0; i < b.newCustomerCount; i++) {
        const c = b.newCustomers[i]!;
        cs.push(c);
        custDay.set(c, [...(custDay.get(c) ?? []), b.day]);
      }
      if (cs.length > 0) draws.push({ day: b.day, customers: cs });
      const m = new Map<number, { n: number; s3: number }>();
      perDay.push(m);
      for (let i = 0; i < b.count; i++) {
        const s = b.scenario[i]!;
        const f = b.fraud[i]!;
        const amount = b.amount[i]!;
        const termCompromised = within(termDay, b.terminal[i]!, b.day, SCENARIO2_DAYS);
        const custCompromised = within(custDay, b.customer[i]!, b.day, SCENARIO3_DAYS);
        n++;
        frauds += f;
        byScenario[s]!++;
        const e = m.get(b.customer[i]!) ?? { n: 0, s3: 0 };
        e.n++;
        if (s === 3) e.s3++;
        m.set(b.customer[i]!, e);
        if (f !== (s === 0 ? 0 : 1)) bad.flag++;
        if (s === 1 && !(amount > SCENARIO1_AMOUNT)) bad.s1++;
        if (s === 2 && !termCompromised) bad.s2++;
        // x5 of a cent amount: a whole multiple of 5 cents.
        if (s === 3 && (!custCompromised || Math.round(amount * 100) % 5 !== 0)) bad.s3++;
        // Later scenarios overwrite earlier ones, so a compromised terminal's row is scenario 2 unless 3 took it.
        if (termCompromised && s !== 2 && s !== 3) bad.s2missed++;
        if (s === 0 && amount > SCENARIO1_AMOUNT) bad.s1missed++;
      }
    }
    expect(bad).toEqual({ flag: 0, s1: 0, s2: 0, s3: 0, s2missed: 0, s1missed: 0 });
    const rate = frauds / n;
    expect(n).toBeGreaterThan(1_650_000);
    expect(n).toBeLessThan(1_850_000);
    expect(rate).toBeGreaterThan(0.005);
    expect(rate).toBeLessThan(0.012);
    // Handbook shares: scenario 1 ~7%, 2 ~62%, 3 ~31% of frauds.
    expect(byScenario[1]! / frauds).toBeGreaterThan(0.02);
    expect(byScenario[1]! / frauds).toBeLessThan(0.15);
    expect(byScenario[2]! / frauds).toBeGreaterThan(0.4);
    expect(byScenario[2]! / frauds).toBeLessThan(0.8);
    expect(byScenario[3]! / frauds).toBeGreaterThan(0.15);
    expect(byScenario[3]! / frauds).toBeLessThan(0.5);
    // Exactly floor(n / 3) of the drawn customers' transactions in the 14-day window (the union of the three) are
    // scenario 3: checked on every draw whose customers are drawn by no other draw within 13 days either side.
    let checked = 0;
    for (const d of draws) {
      const isolated = d.customers.every((c) => (custDay.get(c) ?? []).every((x) => x === d.day || Math.abs(x - d.day) >= SCENARIO3_DAYS));
      if (!isolated) continue;
      let total = 0;
      let s3 = 0;
      for (let day = d.day; day < Math.min(183, d.day + SCENARIO3_DAYS); day++) {
        for (const c of d.customers) {
          const e = perDay[day]!.get(c);
          total += e?.n ?? 0;
          s3 += e?.s3 ?? 0;
        }
      }
      expect(s3).toBe(Math.floor(total / 3));
      checked++;
    }
    expect(checked).toBeGreaterThan(150);
  });

  it('runs past its first 183 days when days is unbounded, with ids continuing', () => {
    const sim = new Simulator({ customers: 50, terminals: 200 }, Infinity);
    let last: DayBatch | undefined;
    let count = 0;
    for (let d = 0; d < 400; d++) {
      last = sim.nextDay();
      count += last!.count;
    }
    expect(last!.day).toBe(399);
    expect(sim.generated).toBe(count);
  });
});

describe('roundCents', () => {
  it('rounds to cents half to even, as numpy.round(x, 2) does', () => {
    expect(roundCents(0.125)).toBe(0.12);
    expect(roundCents(0.375)).toBe(0.38);
    expect(roundCents(2.5)).toBe(2.5);
    expect(roundCents(10.004)).toBe(10);
    expect(roundCents(10.006)).toBe(10.01);
  });
});
