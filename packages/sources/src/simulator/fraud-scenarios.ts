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
/** Share of a compromised customer's transactions that are fraud (scenario 3). */
export const SCENARIO3_SHARE = 1 / 3;
/** Amount multiplier of a scenario-3 fraud. */
export const SCENARIO3_FACTOR = 5;

/**
 * The handbook's three fraud scenarios, applied day by day so a stream can run forever. Each day keeps only the
 * compromises still active (a per-terminal and per-customer "compromised until day" array), never the history.
 *
 * Differences from the handbook's batch code, which sees the whole dataset at once: a compromised customer's
 * transactions are each fraud with probability 1/3 (the handbook samples exactly a third of the 14-day window,
 * which needs the future); overlapping compromises of one customer count once (no x25 amounts).
 */
export class FraudScenarios {
  private readonly rng: Prng;
  private readonly terminalUntil: Int32Array;
  private readonly customerUntil: Int32Array;

  constructor(customers: number, terminals: number, seed: number) {
    this.rng = new Prng(seed, Stream.fraud);
    // Foreign terminals (impossible travel) come after the home ones and are never compromised here.
    this.terminalUntil = new Int32Array(terminals);
    this.customerUntil = new Int32Array(customers);
  }

  /** Draws the day's new compromises and labels the day's transactions in place. */
  apply(batch: DayBatch): void {
    const d = batch.day;
    const rng = this.rng;
    const terminals = this.terminalUntil.length;
    batch.newTerminalCount = drawDistinct(rng, terminals, SCENARIO2_TERMINALS_PER_DAY, batch.newTerminals);
    for (let i = 0; i < batch.newTerminalCount; i++) {
      const t = batch.newTerminals[i]!;
      this.terminalUntil[t] = Math.max(this.terminalUntil[t]!, d + SCENARIO2_DAYS);
    }
    const customers = this.customerUntil.length;
    batch.newCustomerCount = drawDistinct(rng, customers, SCENARIO3_CUSTOMERS_PER_DAY, batch.newCustomers);
    for (let i = 0; i < batch.newCustomerCount; i++) {
      const c = batch.newCustomers[i]!;
      this.customerUntil[c] = Math.max(this.customerUntil[c]!, d + SCENARIO3_DAYS);
    }
    const { amount, fraud, scenario, terminal, customer, inserted } = batch;
    const terminalUntil = this.terminalUntil;
    const customerUntil = this.customerUntil;
    // A compromise drawn on day d stores until = d + N: it covers days d .. d + N - 1 (until > day); 0 is never.
    for (let i = 0; i < batch.count; i++) {
      if (inserted[i] !== 0) {
        // A transaction inserted by an extra pattern is that pattern's fraud.
        fraud[i] = 1;
        scenario[i] = inserted[i]!;
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
      if (customerUntil[customer[i]!]! > d && rng.random() < SCENARIO3_SHARE) {
        amount[i] = Math.round(amount[i]! * SCENARIO3_FACTOR * 100) / 100;
        f = 1;
        s = 3;
      }
      fraud[i] = f;
      scenario[i] = s;
    }
  }
}

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
