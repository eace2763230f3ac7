import type { DayBatch } from './day-batch.js';
import type { Population } from './population.js';
import { Prng } from './prng.js';
import { Stream } from './population.js';

/** TX_FRAUD_SCENARIO of card testing. */
export const SCENARIO_CARD_TESTING = 4;
/** TX_FRAUD_SCENARIO of impossible travel. */
export const SCENARIO_IMPOSSIBLE_TRAVEL = 5;
/** TX_FRAUD_SCENARIO of account takeover. */
export const SCENARIO_ACCOUNT_TAKEOVER = 6;
/** Cards tested per day (scenario 4). */
export const CARD_TESTING_PER_DAY = 2;
/** Cards cloned and used abroad per day (scenario 5). */
export const IMPOSSIBLE_TRAVEL_PER_DAY = 2;
/** Accounts taken over per day (scenario 6), and the days each stays in the fraudster's hands. */
export const TAKEOVER_PER_DAY = 1;
export const TAKEOVER_DAYS = 3;

const DAY_SECONDS = 86400;

/**
 * The fraud patterns beyond the handbook's, inserted as extra transactions into a day before it is sorted (the
 * handbook's own transactions are untouched; the inserted ones carry their scenario in `inserted`):
 * - card testing (4): 3-6 tiny amounts (0.50-2.99) at distinct online terminals the card never uses, 30 s - 5 min
 *   apart, then one large amount (100-600) at another online terminal 2-60 min later;
 * - impossible travel (5): a card-present purchase at a terminal abroad (another continent or country, 1000+ km away)
 *   5-90 minutes after one of the card's card-present transactions at home;
 * - account takeover (6): for 3 days, 1-5 online purchases a day in high-risk categories (electronics, money
 *   transfer, jewellery, digital goods) at 3-10 times the card's usual amount, at any hour.
 * Own PRNG stream, so the handbook's draws do not depend on it.
 */
export class ExtraScenarios {
  private readonly rng: Prng;
  private readonly takeoverUntil: Int32Array;

  constructor(
    private readonly pop: Population,
    seed: number,
  ) {
    this.rng = new Prng(seed, Stream.extra);
    this.takeoverUntil = new Int32Array(pop.customers);
  }

  /** Appends the day's inserted transactions to `s` after its `n` genuine ones; returns the new count. */
  insert(s: DayBatch, n: number, day: number, grow: (s: DayBatch, n: number) => void): number {
    const rng = this.rng;
    const pop = this.pop;
    const online = pop.onlineTerminals;
    const push = (t: number, c: number, term: number, amount: number, scenario: number): void => {
      if (n === s.timeSec.length) grow(s, n);
      s.timeSec[n] = Math.min(DAY_SECONDS - 1, Math.max(1, Math.round(t)));
      s.customer[n] = c;
      s.terminal[n] = term;
      s.amount[n] = Math.round(amount * 100) / 100;
      s.inserted[n] = scenario;
      n++;
    };
    if (online.length > 0) {
      for (let k = 0; k < CARD_TESTING_PER_DAY; k++) {
        const c = rng.int(pop.customers);
        let t = rng.uniform(1, DAY_SECONDS - 7200);
        const tests = 3 + rng.int(4);
        for (let j = 0; j < tests; j++) {
          push(t, c, online[rng.int(online.length)]!, rng.uniform(0.5, 2.99), SCENARIO_CARD_TESTING);
          t += rng.uniform(30, 300);
        }
        t += rng.uniform(120, 3600);
        push(t, c, online[rng.int(online.length)]!, rng.uniform(100, 600), SCENARIO_CARD_TESTING);
      }
    }
    const genuine = n;
    for (let k = 0; k < IMPOSSIBLE_TRAVEL_PER_DAY && genuine > 0; k++) {
      // A card-present transaction of a random customer today (a few tries; days without one are skipped).
      for (let tries = 0; tries < 20; tries++) {
        const i = rng.int(genuine);
        if (s.inserted[i] !== 0 || pop.terminalChannel[s.terminal[i]!] === 2) continue;
        const c = s.customer[i]!;
        const gap = rng.uniform(300, 5400);
        const t0 = s.timeSec[i]!;
        const t = t0 + gap < DAY_SECONDS ? t0 + gap : t0 - gap;
        if (t < 1) continue;
        const mean = pop.meanAmount[c]!;
        push(t, c, pop.terminals + rng.int(pop.foreign), Math.abs(rng.normal(mean, mean / 2)) * rng.uniform(1, 4) + 1, SCENARIO_IMPOSSIBLE_TRAVEL);
        break;
      }
    }
    for (let k = 0; k < TAKEOVER_PER_DAY; k++) {
      const c = rng.int(pop.customers);
      this.takeoverUntil[c] = Math.max(this.takeoverUntil[c]!, day + TAKEOVER_DAYS);
    }
    const risky = pop.riskyOnlineTerminals;
    if (risky.length > 0) {
      // Scans every customer for active takeovers: O(customers) per day, negligible next to the day's Poisson draws.
      const until = this.takeoverUntil;
      for (let c = 0; c < until.length; c++) {
        if (until[c]! <= day) continue;
        const m = 1 + rng.int(5);
        for (let j = 0; j < m; j++) {
          push(rng.uniform(1, DAY_SECONDS - 1), c, risky[rng.int(risky.length)]!, pop.meanAmount[c]! * rng.uniform(3, 10), SCENARIO_ACCOUNT_TAKEOVER);
        }
      }
    }
    return n;
  }
}
