import type { DayBatch } from './day-batch.js';
import { Prng } from './prng.js';
import { Stream } from './population.js';

/** Amount above which a transaction is fraud (scenario 1). */
export const SCENARIO1_AMOUNT = 220;
/** Terminals newly compromised each day (scenario 2). */
export const SCENARIO2_TERMINALS_PER_DAY = 2;
/** Days a compromised terminal stays compromised, the day it is drawn included (scenario 2). */
export const SCENARIO2_DAYS = 28;
/** Customers newly compromised each day (scenario 3). */
export const SCENARIO3_CUSTOMERS_PER_DAY = 3;
/** Days a compromised customer stays compromised, the day it is drawn included (scenario 3). */
export const SCENARIO3_DAYS = 14;
/** Share of the compromised customers' transactions in the window that become fraud (scenario 3), rounded down. */
export const SCENARIO3_SHARE = 1 / 3;
/** Amount multiplier of a scenario-3 fraud. */
export const SCENARIO3_FACTOR = 5;

/**
 * The handbook's three fraud scenarios, in its order and with its semantics:
 * 1. an amount above 220 is fraud (judged on the amount as drawn, before scenario 3 multiplies it);
 * 2. on each draw day 2 distinct terminals are drawn; all their transactions of that day and the 27 after are fraud
 *    (scenario 2 overwrites 1);
 * 3. on each draw day 3 distinct customers are drawn; of all their transactions of that day and the 13 after (the
 *    union of the three, whatever their label so far), a uniformly sampled set of floor(n / 3) gets its amount
 *    multiplied by 5 and becomes fraud, scenario 3. Windows of one customer may overlap: a transaction sampled twice is
 *    multiplied twice, as in the handbook.
 * Draw days are every day but the last (the handbook loops over `range(max TX_TIME_DAYS)`); in an endless stream,
 * every day. Scenario 3 needs the 13 days after its draw day: {@link Simulator} keeps them in a lookahead buffer and
 * calls {@link applyCustomerCompromise} before it hands out the draw day.
 */
export class FraudScenarios {
  private readonly rng: Prng;
  private readonly terminalUntil: Int32Array;
  private readonly customers: number;
  private picked: Uint32Array = new Uint32Array(256);
  private pickedDay: Uint16Array = new Uint16Array(256);

  constructor(customers: number, terminals: number, seed: number) {
    this.rng = new Prng(seed, Stream.fraud);
    // Foreign terminals (impossible travel) come after the home ones and are never compromised here.
    this.terminalUntil = new Int32Array(terminals);
    this.customers = customers;
  }

  /** The state a simulator checkpoint keeps: the scenario draws' generator and each terminal's compromise end day. */
  get state(): { rng: Prng; terminalUntil: Int32Array } {
    return { rng: this.rng, terminalUntil: this.terminalUntil };
  }

  /**
   * Scenarios 1 and 2 for a freshly generated day: draws the day's compromised terminals when `draw` is true and
   * labels the day in place. Transactions inserted by an extra pattern get that pattern's label instead.
   */
  applyAmountAndTerminal(batch: DayBatch, draw: boolean): void {
    const d = batch.day;
    const terminals = this.terminalUntil.length;
    batch.newTerminalCount = draw ? drawDistinct(this.rng, terminals, SCENARIO2_TERMINALS_PER_DAY, batch.newTerminals) : 0;
    for (let i = 0; i < batch.newTerminalCount; i++) {
      const t = batch.newTerminals[i]!;
      this.terminalUntil[t] = Math.max(this.terminalUntil[t]!, d + SCENARIO2_DAYS);
    }
    batch.newCustomerCount = 0;
    const { amount, fraud, scenario, terminal, inserted } = batch;
    const terminalUntil = this.terminalUntil;
    // A compromise drawn on day d stores until = d + N: it covers days d .. d + N - 1 (until > day); 0 is never.
    for (let i = 0; i < batch.count; i++) {
      const ins = inserted[i]!;
      if (ins !== 0) {
        // Inserted by an extra pattern: that pattern's fraud, or genuine (GENUINE_INSERT) and left alone.
        const isFraud = ins < GENUINE_INSERT;
        fraud[i] = isFraud ? 1 : 0;
        scenario[i] = isFraud ? ins : 0;
        continue;
      }
      let f = 0;
      let s = 0;
      if (amount[i]! > SCENARIO1_AMOUNT) {
        f = 1;
        s = 1;
      }
      if (terminalUntil[terminal[i]!]! > d) {
        f = 1;
        s = 2;
      }
      fraud[i] = f;
      scenario[i] = s;
    }
  }

  /**
   * Scenario 3 for draw day `window[0].day`: draws its customers (recorded in `window[0].newCustomers`), gathers their
   * own (not inserted) transactions in `window` (that day and the following ones, at most 14, in day order), and makes
   * a uniformly sampled floor(n / 3) of them fraud with amounts x 5.
   */
  applyCustomerCompromise(window: readonly DayBatch[]): void {
    const first = window[0]!;
    const rng = this.rng;
    const n = drawDistinct(rng, this.customers, SCENARIO3_CUSTOMERS_PER_DAY, first.newCustomers);
    first.newCustomerCount = n;
    const c0 = first.newCustomers[0]!;
    const c1 = n > 1 ? first.newCustomers[1]! : c0;
    const c2 = n > 2 ? first.newCustomers[2]! : c0;
    let m = 0;
    const days = Math.min(window.length, SCENARIO3_DAYS);
    for (let w = 0; w < days; w++) {
      const b = window[w]!;
      const { customer, inserted } = b;
      for (let i = 0; i < b.count; i++) {
        const c = customer[i]!;
        if ((c === c0 || c === c1 || c === c2) && inserted[i] === 0) {
          if (m === this.picked.length) this.grow();
          this.picked[m] = i;
          this.pickedDay[m] = w;
          m++;
        }
      }
    }
    // A uniform k-subset by a partial Fisher-Yates shuffle of the gathered transactions.
    const k = Math.floor(m * SCENARIO3_SHARE);
    const picked = this.picked;
    const pickedDay = this.pickedDay;
    for (let j = 0; j < k; j++) {
      const r = j + rng.int(m - j);
      const pi = picked[r]!;
      const pd = pickedDay[r]!;
      picked[r] = picked[j]!;
      pickedDay[r] = pickedDay[j]!;
      picked[j] = pi;
      pickedDay[j] = pd;
      const b = window[pd]!;
      b.amount[pi] = Math.round(b.amount[pi]! * SCENARIO3_FACTOR * 100) / 100;
      b.fraud[pi] = 1;
      b.scenario[pi] = 3;
    }
  }

  private grow(): void {
    const p = new Uint32Array(this.picked.length * 2);
    p.set(this.picked);
    this.picked = p;
    const d = new Uint16Array(this.pickedDay.length * 2);
    d.set(this.pickedDay);
    this.pickedDay = d;
  }
}

/**
 * `DayBatch.inserted` value of a genuine transaction inserted by the realism patterns of `scenarios: 'all'` (travel,
 * large purchases, night activity): never fraud, never part of a handbook scenario.
 */
export const GENUINE_INSERT = 100;

/** Draws `min(k, n)` distinct integers in [0, n) into `out`; returns how many. */
function drawDistinct(rng: Prng, n: number, k: number, out: Uint32Array): number {
  const m = Math.min(k, n);
  for (let i = 0; i < m; i++) {
    let v: number;
    let dup: boolean;
    do {
      v = rng.int(n);
      dup = false;
      for (let j = 0; j < i; j++) if (out[j] === v) dup = true;
    } while (dup);
    out[i] = v;
  }
  return m;
}
