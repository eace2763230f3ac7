import { DayBatch } from './day-batch.js';
import { ExtraScenarios } from './extra-scenarios.js';
import { FraudScenarios, SCENARIO3_DAYS } from './fraud-scenarios.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './options.js';
import { Population, Stream } from './population.js';
import { Prng } from './prng.js';
import { decodeSimulatorState, encodeSimulatorState, type SimulatorInsides } from './simulator-state.js';
import { SourceOptionsRangeError } from '../errors.js';

/** Seconds in a simulated day. */
export const DAY_SECONDS = 86400;
const TIME_MEAN = DAY_SECONDS / 2;
const TIME_STD = 20000;

/**
 * The Fraud Detection Handbook's transaction simulator, generated lazily one day at a time so it can run forever.
 * Deterministic: the same options give the same days, transaction for transaction.
 *
 * Per day and customer: nb_tx ~ Poisson(mean_nb_tx_per_day); each draws time_in_day = trunc(N(43200, 20000)) and is
 * kept only inside (0, 86400); amount ~ N(mean_amount, mean_amount / 2), redrawn as U(0, 2 * mean_amount) when
 * negative, rounded to cents (half to even); a terminal uniformly among those within the radius (none -> no
 * transaction). With `scenarios: 'all'`, the extra patterns (see {@link ExtraScenarios}) insert their transactions;
 * then the day is sorted by time (stable, by customer) and the fraud scenarios are applied in the handbook's order
 * (see {@link FraudScenarios}). Scenario 3 looks 13 days ahead, so the simulator generates days into a 14-day buffer
 * ahead of the day it hands out; memory is 14 days of transactions.
 */
export class Simulator {
  readonly options: ResolvedSimulatorOptions;
  readonly population: Population;
  /** Epoch ms of the start date's midnight (UTC). */
  readonly startMs: number;
  private readonly rng: Prng;
  private readonly fraud: FraudScenarios;
  private readonly extra: ExtraScenarios | undefined;
  /** Lookahead buffer: day d lives in `ring[d % 14]` from its generation until day d + 14 is generated. */
  private readonly ring: DayBatch[] = Array.from({ length: SCENARIO3_DAYS }, () => new DayBatch(4096));
  private readonly scratch = new DayBatch(4096);
  /** Days generated into the ring so far (raw: scenarios 1 and 2 applied, 3 not yet). */
  private rawDays = 0;
  private readonly counts = new Uint32Array(DAY_SECONDS + 1);
  private nextDayIndex = 0;
  private nextId = 0;

  constructor(options: SimulatorOptions = {}, defaultDays?: number) {
    this.options = resolveSimulatorOptions(options, defaultDays);
    const { customers, terminals, seed, radius, startMs } = this.options;
    this.startMs = startMs;
    this.population = new Population(customers, terminals, seed, radius);
    if (this.population.available.length === 0) {
      throw new SourceOptionsRangeError(
        `options: no customer has a terminal within radius ${radius}; raise options.terminals or options.radius`,
      );
    }
    this.rng = new Prng(seed, Stream.transactions);
    this.fraud = new FraudScenarios(customers, terminals, seed);
    this.extra = this.options.scenarios === 'all' ? new ExtraScenarios(this.population, seed) : undefined;
  }

  /** Index of the next day {@link nextDay} will generate. */
  get day(): number {
    return this.nextDayIndex;
  }

  /** TRANSACTION_ID the next generated transaction will get (= transactions generated so far). */
  get generated(): number {
    return this.nextId;
  }

  /** The batch the last {@link nextDay} returned (also after {@link restoreState}); undefined before the first day. */
  currentBatch(): DayBatch | undefined {
    return this.nextDayIndex === 0 ? undefined : this.ring[(this.nextDayIndex - 1) % this.ring.length];
  }

  /**
   * The simulator's whole state (counters, generators, scenario state, the buffered days) as bytes: a simulator made
   * with the same options and given them by {@link restoreState} generates exactly what this one would next.
   * About 23 bytes per buffered transaction (14 days) plus 4 per terminal and customer.
   */
  saveState(): Uint8Array {
    return encodeSimulatorState(this.insides());
  }

  /**
   * Continues from {@link saveState}'s bytes, in constant time (no day is generated again). Bytes that are not a
   * state of this population and scenarios are a RangeError naming `name`; the simulator must not be used then.
   */
  restoreState(bytes: Uint8Array, name: string): void {
    const s = this.insides();
    decodeSimulatorState(bytes, s, name);
    this.nextDayIndex = s.nextDayIndex;
    this.rawDays = s.rawDays;
    this.nextId = s.nextId;
  }

  private insides(): SimulatorInsides {
    return {
      customers: this.options.customers,
      terminals: this.options.terminals,
      nextDayIndex: this.nextDayIndex,
      rawDays: this.rawDays,
      nextId: this.nextId,
      rng: this.rng,
      fraud: this.fraud.state,
      extra: this.extra?.state,
      ring: this.ring,
    };
  }

  /**
   * Generates the next day; undefined once `options.days` days were generated.
   * Note: the returned batch is reused by a later call (copy what must outlive it).
   */
  nextDay(): DayBatch | undefined {
    const days = this.options.days;
    if (this.nextDayIndex >= days) return undefined;
    const day = this.nextDayIndex++;
    // Scenario 3 of day `day` needs its 13 following days: generate them ahead (the lookahead buffer).
    const last = Math.min(days - 1, day + SCENARIO3_DAYS - 1);
    while (this.rawDays <= last) {
      const g = this.rawDays++;
      this.generateRaw(g, this.ring[g % this.ring.length]!, g < days - 1);
    }
    const window: DayBatch[] = [];
    for (let d = day; d <= last; d++) window.push(this.ring[d % this.ring.length]!);
    // The handbook draws compromises on every day but the last one.
    if (day < days - 1) this.fraud.applyCustomerCompromise(window);
    else window[0]!.newCustomerCount = 0;
    const b = window[0]!;
    b.firstId = this.nextId;
    this.nextId += b.count;
    return b;
  }

  /**
   * Draws day `day`'s transactions (the customers' own, then those the extra patterns insert), sorts them by time
   * into `b` and applies scenarios 1 and 2 (drawing the day's compromised terminals when `draw`).
   */
  private generateRaw(day: number, b: DayBatch, draw: boolean): void {
    const s = this.scratch;
    const pop = this.population;
    const rng = this.rng;
    let n = 0;
    for (let c = 0; c < pop.customers; c++) {
      const k = rng.poisson(pop.meanTxPerDay[c]!);
      if (k === 0) continue;
      const first = pop.availableStart[c]!;
      const avail = pop.availableStart[c + 1]! - first;
      const mean = pop.meanAmount[c]!;
      const std = pop.stdAmount[c]!;
      for (let j = 0; j < k; j++) {
        // The handbook's int(): truncation toward zero, then only 0 < t < 86400 is kept.
        const t = Math.trunc(rng.normal(TIME_MEAN, TIME_STD));
        if (t <= 0 || t >= DAY_SECONDS) continue;
        let amount = rng.normal(mean, std);
        if (amount < 0) amount = rng.uniform(0, 2 * mean);
        amount = roundCents(amount);
        if (avail === 0) continue;
        if (n === s.timeSec.length) growScratch(s, n);
        s.timeSec[n] = t;
        s.customer[n] = c;
        s.terminal[n] = pop.available[first + rng.int(avail)]!;
        s.amount[n] = amount;
        s.inserted[n] = 0;
        n++;
      }
    }
    if (this.extra !== undefined) n = this.extra.insert(s, n, day, growScratch);
    // Counting sort by second of the day: stable (keeps customer order within a second) and O(n + 86400).
    b.reserve(n);
    const counts = this.counts;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[s.timeSec[i]! + 1]!++;
    for (let i = 0; i < DAY_SECONDS; i++) counts[i + 1]! += counts[i]!;
    for (let i = 0; i < n; i++) {
      const at = counts[s.timeSec[i]!]!++;
      b.timeSec[at] = s.timeSec[i]!;
      b.customer[at] = s.customer[i]!;
      b.terminal[at] = s.terminal[i]!;
      b.amount[at] = s.amount[i]!;
      b.inserted[at] = s.inserted[i]!;
    }
    b.day = day;
    b.dayStartMs = this.startMs + day * DAY_SECONDS * 1000;
    b.count = n;
    this.fraud.applyAmountAndTerminal(b, draw);
  }
}

/**
 * numpy's `round(x, 2)`: x * 100 rounded half to even, divided by 100 (the handbook rounds amounts this way).
 */
export function roundCents(x: number): number {
  const v = x * 100;
  let r = Math.round(v);
  // Math.round rounds halves up; numpy's rint rounds them to the even neighbour.
  if (r - v === 0.5 && r % 2 !== 0) r -= 1;
  return r / 100;
}

function growScratch(s: DayBatch, n: number): void {
  const time = s.timeSec;
  const customer = s.customer;
  const terminal = s.terminal;
  const amount = s.amount;
  const inserted = s.inserted;
  s.reserve(n * 2);
  s.timeSec.set(time.subarray(0, n));
  s.customer.set(customer.subarray(0, n));
  s.terminal.set(terminal.subarray(0, n));
  s.amount.set(amount.subarray(0, n));
  s.inserted.set(inserted.subarray(0, n));
}
