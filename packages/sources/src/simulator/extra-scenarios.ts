import type { DayBatch } from './day-batch.js';
import type { Population } from './population.js';
import { Prng } from './prng.js';
import { Stream } from './population.js';
import { GENUINE_INSERT } from './fraud-scenarios.js';

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
/** Genuine realism patterns per day, as shares of the customers (trips abroad, large purchases, night activity). */
export const TRIPS_PER_CUSTOMER_DAY = 0.002;
export const LARGE_PURCHASES_PER_CUSTOMER_DAY = 0.01;
export const NIGHT_TX_PER_CUSTOMER_DAY = 0.02;
/** `DayBatch.inserted` codes of the genuine patterns (all >= GENUINE_INSERT: never fraud). */
export const GENUINE_TRIP = GENUINE_INSERT;
export const GENUINE_LARGE = GENUINE_INSERT + 1;
export const GENUINE_NIGHT = GENUINE_INSERT + 2;
/** Home of the map (the flights' origin), for flight times. */
const HOME_LAT = 50.85;
const HOME_LON = 4.35;

/**
 * The fraud patterns beyond the handbook's, inserted as extra transactions into a day before it is sorted (the
 * handbook's own transactions are untouched; the inserted ones carry their scenario in `inserted`):
 * - card testing (4): 3-6 tiny amounts (0.50-2.99) at distinct online terminals the card never uses, 30 s - 5 min
 *   apart, then one large amount (100-600) at another online terminal 2-60 min later;
 * - impossible travel (5): a card-present purchase at a terminal abroad (another continent or country, 1000+ km away)
 *   5-90 minutes after one of the card's card-present transactions at home;
 * - account takeover (6): for 3 days, 1-5 online purchases a day in high-risk categories (electronics, money
 *   transfer, jewellery, digital goods) at 3-10 times the card's usual amount, at any hour.
 * Fraud times follow a profile like the genuine one (half of them around noon as genuine ones, half at any hour,
 * so night is somewhat riskier without being a tell), and amounts are multiples of the card's own mean drawn from the
 * same heavy tail as genuine large purchases.
 *
 * And genuine patterns, so that none of the above is told apart by one trivial feature (never fraud, `inserted`
 * codes >= GENUINE_INSERT):
 * - trips abroad: after a card's last card-present transaction of the day it flies (flight time from the distance at
 *   600-850 km/h plus 30-90 min at airports) to a foreign city and pays 1-3 times there, card present;
 * - large purchases: the card's mean x lognormal(1.3, 0.5) (median 3.7 x, 1 in 40 above 9.8 x) at one of its own
 *   terminals, so amounts above 220 and high ratios to the card's mean happen to genuine cards too;
 * - night activity: transactions between 00:00 and 06:00 at the card's own terminals with its usual amounts.
 * Own PRNG stream, so the handbook's draws do not depend on it; the handbook's own transactions are untouched.
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

  /** The state a simulator checkpoint keeps: the patterns' generator and each customer's takeover end day. */
  get state(): { rng: Prng; takeoverUntil: Int32Array } {
    return { rng: this.rng, takeoverUntil: this.takeoverUntil };
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
    // Half around noon like genuine activity, half at any hour.
    const fraudTime = (latest: number): number => {
      for (;;) {
        const t = rng.random() < 0.5 ? rng.normal(DAY_SECONDS / 2, 20000) : rng.uniform(1, DAY_SECONDS - 1);
        if (t >= 1 && t <= latest) return t;
      }
    };
    // The card's mean times lognormal(1.3, 0.5): the same heavy tail as genuine large purchases.
    const heavy = (c: number): number => pop.meanAmount[c]! * Math.exp(rng.normal(1.3, 0.5));
    if (online.length > 0) {
      for (let k = 0; k < CARD_TESTING_PER_DAY; k++) {
        const c = rng.int(pop.customers);
        let t = fraudTime(DAY_SECONDS - 7200);
        const tests = 3 + rng.int(4);
        for (let j = 0; j < tests; j++) {
          push(t, c, online[rng.int(online.length)]!, rng.uniform(0.5, 2.99), SCENARIO_CARD_TESTING);
          t += rng.uniform(30, 300);
        }
        t += rng.uniform(120, 3600);
        // The cash-out: a purchase the card's owner could have made (not a fixed high band above 220).
        push(t, c, online[rng.int(online.length)]!, heavy(c), SCENARIO_CARD_TESTING);
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
          push(fraudTime(DAY_SECONDS - 1), c, risky[rng.int(risky.length)]!, heavy(c), SCENARIO_ACCOUNT_TAKEOVER);
        }
      }
    }
    // `push` appends through this function's `n`.
    this.insertGenuine(s, genuine, push, heavy);
    return n;
  }

  /** The genuine patterns: trips abroad, large purchases, night activity (see the class comment). */
  private insertGenuine(
    s: DayBatch,
    genuine: number,
    push: (t: number, c: number, term: number, amount: number, code: number) => void,
    heavy: (c: number) => number,
  ): void {
    const rng = this.rng;
    const pop = this.pop;
    const own = (c: number): number => {
      const first = pop.availableStart[c]!;
      const avail = pop.availableStart[c + 1]! - first;
      return avail === 0 ? -1 : pop.available[first + rng.int(avail)]!;
    };
    const usual = (c: number): number => {
      const a = rng.normal(pop.meanAmount[c]!, pop.stdAmount[c]!);
      return a > 0.01 ? a : rng.uniform(0.01, 2 * pop.meanAmount[c]!);
    };
    // Trips: the last card-present transaction of a random card today, then a flight abroad.
    const trips = poissonCount(rng, TRIPS_PER_CUSTOMER_DAY * pop.customers);
    for (let k = 0; k < trips && genuine > 0 && pop.foreign > 0; k++) {
      const c = s.customer[rng.int(genuine)]!;
      let last = -1;
      for (let i = 0; i < genuine; i++) {
        if (s.customer[i] === c && s.inserted[i] === 0 && pop.terminalChannel[s.terminal[i]!] !== 2) {
          if (last < 0 || s.timeSec[i]! > s.timeSec[last]!) last = i;
        }
      }
      if (last < 0) continue;
      const dest = pop.terminals + rng.int(pop.foreign);
      const km = greatCircleKm(HOME_LAT, HOME_LON, pop.terminalLat[dest]!, pop.terminalLon[dest]!);
      let t = s.timeSec[last]! + (km / rng.uniform(600, 850)) * 3600 + rng.uniform(1800, 5400);
      const country = pop.terminalCountry[dest]!;
      const m = 1 + rng.int(3);
      for (let j = 0; j < m && t < DAY_SECONDS - 1; j++) {
        // Another terminal of the same country for the later payments, when one is found quickly.
        let term = dest;
        for (let tries = 0; j > 0 && tries < 8; tries++) {
          const cand = pop.terminals + rng.int(pop.foreign);
          if (pop.terminalCountry[cand] === country) {
            term = cand;
            break;
          }
        }
        push(t, c, term, usual(c), GENUINE_TRIP);
        t += rng.uniform(600, 4 * 3600);
      }
    }
    const large = poissonCount(rng, LARGE_PURCHASES_PER_CUSTOMER_DAY * pop.customers);
    for (let k = 0; k < large; k++) {
      const c = rng.int(pop.customers);
      const term = own(c);
      if (term < 0) continue;
      push(clampTime(rng.normal(DAY_SECONDS / 2, 20000)), c, term, heavy(c), GENUINE_LARGE);
    }
    const night = poissonCount(rng, NIGHT_TX_PER_CUSTOMER_DAY * pop.customers);
    for (let k = 0; k < night; k++) {
      const c = rng.int(pop.customers);
      const term = own(c);
      if (term < 0) continue;
      push(rng.uniform(1, 6 * 3600), c, term, usual(c), GENUINE_NIGHT);
    }
  }
}

/** A Poisson count with mean `lambda` (normal approximation above 30, where Knuth's method gets slow). */
function poissonCount(rng: Prng, lambda: number): number {
  if (lambda > 30) return Math.max(0, Math.round(rng.normal(lambda, Math.sqrt(lambda))));
  return rng.poisson(lambda);
}

function clampTime(t: number): number {
  return Math.min(DAY_SECONDS - 1, Math.max(1, t));
}

/** Great-circle distance in km (haversine, R = 6371 km). */
function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * r) / 2) ** 2 + Math.cos(lat1 * r) * Math.cos(lat2 * r) * Math.sin(((lon2 - lon1) * r) / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.sqrt(Math.min(1, a)));
}
